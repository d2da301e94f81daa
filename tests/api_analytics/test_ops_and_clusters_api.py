"""Clusters, pipeline runs (Postgres) with snapshots and MLflow links, gates, quarantine; the engine's snapshot
watch (a table published after the app started is served without a restart)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.engine import ServingEngine
from api.services import ServiceError
from api.services.analytics.ops import mlflow_url
from lakecast.appdb.runs import record_run
from lakecast.runtime.engine import DuckDBEngine
from lakecast.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.spark]


def get(client, headers, path: str, params: Any = None) -> Any:
    r = client.get(path, params=params, headers=headers["viewer"])
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------- clusters
def test_clusters_equal_spark(client, headers, sq, forecast_ready) -> None:
    body = get(client, headers, "/clusters")
    prof = sq("SELECT * FROM gold.cluster_profile ORDER BY cluster_id")
    assert [c["cluster_id"] for c in body["items"]] == prof["cluster_id"].tolist()
    for c, (_, p) in zip(body["items"], prof.iterrows(), strict=True):
        assert (c["cluster_label"], c["n_dfus"]) == (p["cluster_label"], p["n_dfus"])
        assert c["share"] == pytest.approx(p["share"], rel=1e-12) and c["volume"] == pytest.approx(p["volume"])


def test_cluster_members_paged_and_sorted(client, headers, sq, forecast_ready) -> None:
    members = sq("SELECT c.cluster_id, c.dfu_id, d.qty_12m, s.champion_model_id FROM gold.dfu_cluster_current c "
                 "JOIN gold.dim_dfu d ON d.dfu_id = c.dfu_id "
                 "LEFT JOIN gold.champion_selection s ON s.dfu_id = c.dfu_id")
    cluster = int(members["cluster_id"].value_counts().index[0])
    mine = members.loc[members["cluster_id"] == cluster]
    pages: list[dict[str, Any]] = []
    for offset in range(0, len(mine), 4):
        page = get(client, headers, f"/clusters/{cluster}/members", {"limit": 4, "offset": offset})
        assert page["total"] == len(mine) and page["cluster_id"] == cluster
        pages += page["items"]
    assert [m["dfu_id"] for m in pages] == sorted(mine["dfu_id"])
    champ = dict(zip(mine["dfu_id"], mine["champion_model_id"], strict=True))
    assert all(m["champion_model_id"] == champ[m["dfu_id"]] for m in pages)

    by_qty = get(client, headers, f"/clusters/{cluster}/members", {"sort": "qty_12m", "limit": 500})
    expected = mine.sort_values(["qty_12m", "dfu_id"], ascending=[False, True])["dfu_id"].tolist()
    assert [m["dfu_id"] for m in by_qty["items"]] == expected

    r = client.get("/clusters/999/members", headers=headers["viewer"])
    assert r.status_code == 404 and "cluster 999 not found" in r.json()["detail"]
    r = client.get(f"/clusters/{cluster}/members", params={"sort": "size"}, headers=headers["viewer"])
    assert r.status_code == 422 and "query.sort: Input should be 'dfu_id' or 'qty_12m'" in r.json()["detail"]
    assert client.get("/clusters", headers=headers["anon"]).status_code == 401


# ---------------------------------------------------------------------------------------------- runs
def test_runs_newest_first_with_snapshots_and_mlflow(client, headers, analytics_pg, spark, pipeline) -> None:
    url = analytics_pg[1]
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    record_run(url, run_id="gold-a", job="gold", status="succeeded", started_at=t0, details={"rows": {"x": 1}})
    record_run(url, run_id="forecast-b", job="forecast", status="succeeded", started_at=t0 + dt.timedelta(hours=1),
               details={"mlflow_run_id": "abc123", "run_id": "forecast-x"})
    record_run(url, run_id="forecast-c", job="forecast", status="failed", started_at=t0 + dt.timedelta(hours=2))
    body = get(client, headers, "/runs")
    assert [r["run_id"] for r in body["items"]] == ["forecast-c", "forecast-b", "gold-a"] and body["total"] == 3
    b = body["items"][1]
    assert b["mlflow_run_id"] == "abc123" and b["mlflow_url"] is None  # sqlite tracking: no UI to link to
    assert b["details"]["run_id"] == "forecast-x"
    assert [r["run_id"] for r in get(client, headers, "/runs", {"job": "forecast", "status": "failed"})["items"]] == [
        "forecast-c"]
    page = get(client, headers, "/runs", {"limit": 1, "offset": 1})
    assert [r["run_id"] for r in page["items"]] == ["forecast-b"] and page["total"] == 3

    cat = pipeline.settings.catalog.name
    snaps = {s["table"]: s["snapshot_id"] for s in body["snapshots"]}
    for table in ("gold.dim_dfu", "gold.fact_forecast_accuracy", "gold.model_scores"):
        expected = spark.sql(f"SELECT snapshot_id FROM {cat}.{table}.snapshots ORDER BY committed_at DESC LIMIT 1")
        assert snaps[table] == expected.collect()[0][0]
    r = client.get("/runs", params={"job": "x;drop"}, headers=headers["viewer"])
    assert r.status_code == 422


def test_mlflow_link_only_for_a_tracking_server() -> None:
    server = Settings(mlflow={"tracking_uri": "http://mlflow:5000/"})
    assert mlflow_url(server, "abc") == "http://mlflow:5000/#/runs/abc"
    assert mlflow_url(server, None) is None
    assert mlflow_url(Settings(mlflow={"tracking_uri": "sqlite:///x.db"}), "abc") is None


# ---------------------------------------------------------------------------------------------- gates, quarantine
def test_gates_equal_spark(client, headers, sq) -> None:
    gates = sq("SELECT * FROM ops.gate_results")
    body = get(client, headers, "/gates", {"limit": 500})
    assert body["total"] == len(gates) == len(body["items"])
    times = [g["checked_at"] for g in body["items"]]
    assert times == sorted(times, reverse=True)
    table = gates["table_name"].iloc[0]
    sub = get(client, headers, "/gates", {"table": table, "passed": "true", "limit": 3})
    assert sub["total"] == int(((gates["table_name"] == table) & gates["passed"]).sum())
    assert all(g["table_name"] == table and g["passed"] for g in sub["items"])
    run_id = gates["run_id"].iloc[-1]
    assert get(client, headers, "/gates", {"run_id": run_id})["total"] == int((gates["run_id"] == run_id).sum())


def test_quarantine_summary_equals_spark(client, headers, sq) -> None:
    body = get(client, headers, "/quarantine/summary")
    q = sq("SELECT source_table, rule, count(*) AS n FROM silver.quarantine GROUP BY 1, 2")
    assert body["total"] == int(q["n"].sum()) > 0
    assert {(r["source_table"], r["rule"], r["rows"]) for r in body["by_rule"]} == set(
        zip(q["source_table"], q["rule"], q["n"].astype(int), strict=True))
    rows = [r["rows"] for r in body["by_rule"]]
    assert rows == sorted(rows, reverse=True)
    rec = sq("SELECT source_table, sum(rows_landed) AS l, sum(rows_accepted) AS a, sum(rows_quarantined) AS q "
             "FROM (SELECT *, row_number() OVER (PARTITION BY source_table, batch_id ORDER BY seq DESC) AS k "
             "FROM ops.batch_reconciliation) WHERE k = 1 GROUP BY 1")
    got = {t["source_table"]: (t["rows_landed"], t["rows_accepted"], t["rows_quarantined"]) for t in body["by_table"]}
    assert got == {t: (int(a), int(b), int(c)) for t, a, b, c in zip(rec["source_table"], rec["l"], rec["a"], rec["q"],
                                                                       strict=True)}
    assert all(landed == acc + quar for landed, acc, quar in got.values())


# ---------------------------------------------------------------------------------------------- engine watch
def test_engine_serves_a_table_published_after_start(pipeline, tmp_path: Path) -> None:
    """Empty warehouse: 503 with the table's name; once the table appears the engine refreshes and serves it."""
    settings = Settings(data_dir=tmp_path, catalog={"warehouse": str(tmp_path / "warehouse")})
    serving = ServingEngine(DuckDBEngine(settings), settings)
    with pytest.raises(ServiceError) as err:
        serving.require("gold.dim_dfu")
    assert err.value.status_code == 503 and "gold.dim_dfu" in err.value.detail
    assert serving.cached("k", lambda: 1) == 1

    # "publish": the table's directory (metadata points at the pipeline's data files by absolute path)
    shutil.copytree(Path(pipeline.settings.warehouse) / "gold" / "dim_dfu", tmp_path / "warehouse" / "gold" / "dim_dfu")
    assert serving.check_snapshots(force=True) is True
    serving.require("gold.dim_dfu")
    n = serving.query("SELECT count(*) AS n FROM gold.dim_dfu")[0]["n"]
    assert n == DuckDBEngine(pipeline.settings).query("SELECT count(*) AS n FROM gold.dim_dfu")[0]["n"] > 0
    assert serving.cached("k", lambda: 2) == 2  # the per-snapshot cache was dropped
    assert serving.check_snapshots(force=True) is False  # nothing changed since


def test_result_cache_per_snapshot(pipeline, tmp_path: Path) -> None:
    """Same SQL + parameters -> cached rows (copies) until the table's snapshot changes; then recomputed."""
    from lakecast.runtime.engine import get_engine

    settings = Settings(data_dir=tmp_path, catalog={"warehouse": str(tmp_path / "warehouse")})
    src = Path(pipeline.settings.warehouse) / "gold" / "dim_dfu"
    dst = tmp_path / "warehouse" / "gold" / "dim_dfu"
    shutil.copytree(src, dst)
    versions = sorted(int(p.name[1:].split(".")[0]) for p in (dst / "metadata").glob("v*.metadata.json"))
    assert len(versions) >= 2, "gold and forecast both write dim_dfu: two snapshots at least"
    serving = ServingEngine(get_engine(settings), settings)
    sql, params = "SELECT count(*) AS n, min(dfu_id) AS first FROM gold.dim_dfu WHERE dfu_id > ?", [""]
    first = serving.query(sql, params)
    assert serving.result_hits == 0
    first[0]["n"] = -1  # callers get copies: this must not leak into the cache
    again = serving.query(sql, params)
    assert serving.result_hits == 1 and again[0]["n"] > 0
    assert serving.query(sql, ["~"])[0]["n"] == 0 and serving.result_hits == 1  # other parameters: own entry
    current = serving.snapshot_id("gold.dim_dfu")

    # an earlier snapshot becomes current (version-hint -> the newest older metadata version with another one)
    def snap(v: int) -> int | None:
        return json.loads((dst / "metadata" / f"v{v}.metadata.json").read_text()).get("current-snapshot-id")

    older = next(v for v in reversed(versions) if snap(v) not in (None, -1, current))
    (dst / "metadata" / "version-hint.text").write_text(str(older))
    assert serving.check_snapshots(force=True) is True
    assert serving.snapshot_id("gold.dim_dfu") != current
    hits = serving.result_hits
    assert serving.query(sql, params)[0]["n"] > 0
    assert serving.result_hits == hits  # recomputed on the new snapshot, not served from the old cache

    off = Settings(data_dir=tmp_path, catalog={"warehouse": str(tmp_path / "warehouse")},
                   engine={"result_cache_entries": 0})
    plain = ServingEngine(get_engine(off), off)
    assert plain.query(sql, params) == plain.query(sql, params) and plain.result_hits == 0
