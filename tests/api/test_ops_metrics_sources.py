"""The pipeline collector (api/ops_metrics.py) without a lake and without an app database: the scrape still
answers, says which source it could not read, and invents no values. (The values themselves are tested on the
session pipeline's lake in tests/api_analytics/test_ops_metrics.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from api.ops_metrics import SPECS
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]  # embedded Postgres, DuckDB

PIPELINE_SAMPLES = {s.sample_name for s in SPECS} - {"lakecast_ops_metrics_source_up"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def up(found: dict, source: str) -> float | None:
    return found.get(("lakecast_ops_metrics_source_up", frozenset({("source", source)})))


def test_no_app_database_is_source_down_and_the_scrape_still_answers(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))  # no lifespan: no pool
    found = samples(app.state.metrics.render()[0].decode())
    assert up(found, "appdb") == 0.0
    assert up(found, "lake") == 1.0  # an empty warehouse is readable: it just has no tables yet
    assert not {name for name, _ in found} & PIPELINE_SAMPLES  # nothing made up for either source


def test_an_empty_run_registry_and_lake_export_no_pipeline_series() -> None:
    # its own migrated Postgres (no run recorded) and an empty warehouse under the same data dir
    with temporary_server() as (settings, _), TestClient(create_app(settings)) as client:
        r = client.get("/metrics")
    assert r.status_code == 200
    found = samples(r.text)
    assert up(found, "appdb") == 1.0 and up(found, "lake") == 1.0
    assert not {name for name, _ in found} & PIPELINE_SAMPLES
    assert ("lakecast_http_requests_in_progress", frozenset()) in found  # the HTTP families are unaffected
