"""GET /metrics: Prometheus text format; request counts and latency histograms per route template and status;
engine query times (a real DuckDB engine wrapped with instrument_engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from api.metrics import UNMATCHED, instrument_engine
from lakecast.settings import Settings

REQ = "lakecast_http_requests"
LAT = "lakecast_http_request_duration_seconds"
ENG = "lakecast_engine_query_duration_seconds"

pytestmark = pytest.mark.integration  # embedded Postgres (pg fixture)


def scrape(client: TestClient) -> dict[tuple[str, frozenset], float]:
    """Every sample of GET /metrics, parsed with prometheus_client's own parser: (name, labels) -> value."""
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counter_and_histogram_count_every_request_by_route_template(client: TestClient, headers) -> None:
    before = scrape(client)
    n = 7
    for _ in range(n):
        assert client.get("/overrides", headers=headers["viewer"]).status_code == 200
    for _ in range(3):
        assert client.get("/overrides", headers=headers["anon"]).status_code == 401
    for missing in (987654, 987655):  # two different raw paths, one template
        assert client.get(f"/overrides/{missing}", headers=headers["viewer"]).status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    ok = {"method": "GET", "route": "/overrides", "status": "200"}
    assert delta(f"{REQ}_total", **ok) == n
    assert delta(f"{LAT}_count", **ok) == n
    assert delta(f"{LAT}_bucket", **ok, le="+Inf") == n
    assert delta(f"{LAT}_sum", **ok) > 0
    assert delta(f"{REQ}_total", method="GET", route="/overrides", status="401") == 3
    assert delta(f"{REQ}_total", method="GET", route="/overrides/{override_id}", status="404") == 2
    assert delta(f"{REQ}_total", method="GET", route=UNMATCHED, status="404") == 1
    # raw paths never become labels; the scrape itself is not counted
    routes = {dict(labels).get("route") for (_, labels) in after}
    assert not {r for r in routes if r and "98765" in r}
    assert "/metrics" not in routes
    # buckets are cumulative
    buckets = sorted(
        (float(dict(lb)["le"]), v) for (name, lb), v in after.items()
        if name == f"{LAT}_bucket" and {k: v for k, v in lb if k != "le"} == ok
    )
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert sample(after, "lakecast_http_requests_in_progress") == 0


def test_engine_query_times_are_observed(tmp_path: Path) -> None:
    from lakecast.runtime.engine import DuckDBEngine

    settings = Settings(data_dir=tmp_path)
    app = create_app(settings)  # no lifespan needed: metrics exist from create_app on
    engine = instrument_engine(app, DuckDBEngine(settings))
    assert instrument_engine(app, engine) is engine  # wrapping twice does not double-count
    for i in range(3):
        assert engine.query("SELECT ? + 1 AS x", [i]) == [{"x": i + 1}]
    with pytest.raises(Exception, match="no_such_table"):
        engine.query("SELECT * FROM no_such_table")
    assert engine.name == "duckdb" and engine.snapshot_id == engine.inner.snapshot_id  # delegated
    text = app.state.metrics.render()[0].decode()
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    assert sample(samples, f"{ENG}_count", engine="duckdb", outcome="ok") == 3
    assert sample(samples, f"{ENG}_count", engine="duckdb", outcome="error") == 1
    assert 0 < sample(samples, f"{ENG}_sum", engine="duckdb", outcome="ok") < 5
    # each app has its own registry: a second app starts from zero
    other = create_app(settings)
    assert other.state.metrics.registry is not app.state.metrics.registry
    assert "lakecast_engine_query_duration_seconds_count" not in other.state.metrics.render()[0].decode()


def test_openmetrics_on_request(client: TestClient) -> None:
    r = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.rstrip().endswith("# EOF") and "lakecast_http_requests_total" in r.text


def test_metrics_route_is_not_in_the_openapi_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
