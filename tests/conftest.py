"""Shared fixtures: one local[2] Spark session and one pipeline run on `tiny` generated data per test session.

Also the suite's two rules about markers and prerequisites:

* **Tiers.** Every test is exactly one of ``unit`` (no service, no Spark), ``integration`` (real services: Spark,
  embedded Postgres, DuckDB over Iceberg) or ``e2e`` (through the CLI, spark-submit or a browser). A test module
  without a tier marker is ``unit``; a test that uses the Spark session must be marked ``spark`` and a service
  fixture (Spark or Postgres) needs ``integration`` or ``e2e``. Collection fails otherwise, so ``-m unit`` really
  selects the service-free tests.
* **Prerequisites fail closed.** A missing Chromium, node, ``ui/node_modules`` or built UI fails the test that
  needs it (``prerequisite`` fixture). Only a developer can turn that into a skip, by naming it in
  ``LAKECAST_TESTS_ALLOW_MISSING`` (comma separated: ``chromium,node,ui``); it is ignored when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakecast.settings import Settings

TIERS = ("unit", "integration", "e2e")
#: fixtures that start a service: a test using one (directly or through another fixture) is not a unit test
SERVICE_FIXTURES = frozenset({"spark", "pg", "analytics_pg", "chat_pg"})
ALLOW_MISSING_ENV = "LAKECAST_TESTS_ALLOW_MISSING"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give untiered tests the ``unit`` marker, then refuse a test whose markers contradict what it uses."""
    wrong: list[str] = []
    for item in items:
        tiers = [t for t in TIERS if item.get_closest_marker(t) is not None]
        if not tiers:
            item.add_marker(pytest.mark.unit)
            tiers = ["unit"]
        fixtures = set(getattr(item, "fixturenames", ()))
        if len(tiers) > 1:
            wrong.append(f"{item.nodeid}: more than one tier {tiers}")
        if fixtures & SERVICE_FIXTURES and tiers == ["unit"]:
            wrong.append(f"{item.nodeid}: uses {sorted(fixtures & SERVICE_FIXTURES)} but is not integration/e2e")
        if "spark" in fixtures and item.get_closest_marker("spark") is None:
            wrong.append(f"{item.nodeid}: uses the Spark session but is not marked spark")
    if wrong:
        raise pytest.UsageError("test markers contradict the fixtures used:\n  " + "\n  ".join(wrong))


def require_prerequisite(name: str, missing: str | None) -> None:
    """Fail the calling test when ``missing`` (the reason) is set; skip instead only if the developer allowed
    ``name`` to be missing in ``LAKECAST_TESTS_ALLOW_MISSING`` and this is not CI."""
    if missing is None:
        return
    allowed = {p.strip() for p in os.environ.get(ALLOW_MISSING_ENV, "").split(",") if p.strip()}
    if name in allowed and not os.environ.get("CI"):
        pytest.skip(f"{missing} (allowed by {ALLOW_MISSING_ENV}={name})")
    pytest.fail(f"missing prerequisite {name!r}: {missing}", pytrace=False)


@pytest.fixture(scope="session")
def prerequisite() -> Callable[[str, str | None], None]:
    """``prerequisite(name, reason_or_None)``: fail (or, when allowed locally, skip) if a prerequisite is missing."""
    return require_prerequisite


def _spark_settings(data_dir: Path, catalog: str = "lakecast") -> Settings:
    return Settings(
        data_dir=data_dir,
        catalog={"name": catalog},
        spark={"master": "local[2]", "driver_memory": "2g", "shuffle_partitions": 2},
        # the default model set, with fewer boosting rounds and Spark groups: fast on 50 tiny DFUs
        forecast={"ml_params": {"rounds": 20}, "stat_buckets": 2},
    )


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lakecast-data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    """Settings of the shared tiny pipeline (catalog `lakecast`, warehouse under a temp dir)."""
    return _spark_settings(data_dir)


@pytest.fixture(scope="session")
def isolated_settings(tmp_path_factory: pytest.TempPathFactory):
    """Factory: Settings with their own warehouse and catalog name, on the same Spark session."""

    def make(name: str) -> Settings:
        return _spark_settings(tmp_path_factory.mktemp(name), catalog=name)

    return make


@pytest.fixture(scope="session")
def spark(settings: Settings) -> Iterator[Any]:
    from lakecast.runtime.spark import get_spark

    session = get_spark(settings)
    yield session
    session.stop()


@dataclass
class PipelineRun:
    settings: Settings
    manifest: dict
    results: dict[str, Any]


@pytest.fixture(scope="session")
def pipeline(spark: Any, settings: Settings) -> PipelineRun:
    """Generate `tiny` data (seed 7) and run every PIPELINE job (bronze -> silver -> gold -> forecast) once."""
    from lakecast.generate import generate
    from spark_jobs.registry import PIPELINE, get_job

    generate(settings.landing_dir, scale="tiny", seed=7, messy_fraction=0.02)
    manifest = json.loads((settings.landing_dir / "_manifest.json").read_text())
    results = {name: get_job(name).load()(spark, settings) for name in PIPELINE}
    return PipelineRun(settings, manifest, results)


@pytest.fixture(scope="session")
def engine(pipeline: PipelineRun):
    """The serving engine exactly as the API builds it (DuckDB, gold/ops snapshots materialized)."""
    from lakecast.runtime.engine import get_engine

    return get_engine(pipeline.settings)


@pytest.fixture(scope="session")
def rolled_back(spark: Any, pipeline: PipelineRun) -> Callable[..., Any]:
    """Context manager factory: ``with rolled_back("gold.fact_forecast", ...)`` rolls those tables of the session
    pipeline back to the snapshots they had on entry (Iceberg ``rollback_to_snapshot``), so a test that runs a
    job on the shared pipeline (e.g. ``final``) leaves the exact snapshot ids other tests compare against. The run
    manifest (``ops.published_runs``) is rolled back with them: what the job published is unpublished again."""
    from contracts.registry import TABLES
    from lakecast.runtime.published import MANIFEST_TABLE
    from spark_jobs import io

    s = pipeline.settings

    @contextmanager
    def guard(*fqns: str) -> Iterator[None]:
        before = {fqn: io.snapshot_id(spark, s, TABLES[fqn]) for fqn in (*fqns, MANIFEST_TABLE)}
        try:
            yield
        finally:
            for fqn, snap in before.items():
                name = io.table_name(s, TABLES[fqn])
                if snap is None:
                    spark.sql(f"DROP TABLE IF EXISTS {name}")
                elif io.snapshot_id(spark, s, TABLES[fqn]) != snap:
                    spark.sql(f"CALL {s.catalog.name}.system.rollback_to_snapshot('{fqn}', {snap})")
                    spark.sql(f"REFRESH TABLE {name}")

    return guard
