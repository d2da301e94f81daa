"""Pipeline metrics on GET /metrics (api/ops_metrics.py) against independent reads of the same records, and the
alert rules (deploy/prometheus/alerts.yml) against the metrics really exported.

The app serves the session pipeline's lake (DuckDB) with its own embedded Postgres, so the runs recorded here are
this module's only: a real failing ``lakecast run`` (``lakecast_cli.pipeline.run_jobs`` on an empty warehouse)
plus runs recorded with known times. Expected values come from Spark SQL and pandas on the same tables, or from
the times the test wrote, never from the collector's own SQL.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pyspark.sql import functions as F
from rich.console import Console

from api.main import create_app
from api.ops_metrics import APPDB_TTL_SECONDS, SPECS
from lakecast.appdb.runs import record_run
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings
from spark_jobs import publish
from spark_jobs.gates import GateFailure

pytestmark = [pytest.mark.integration, pytest.mark.spark]

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
T0 = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(r.text) for s in f.samples}


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def by(samples: Samples, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    """``name``'s samples keyed by the values of ``keys`` (each series must carry exactly those labels)."""
    out = {}
    for labels, v in series(samples, name).items():
        d = dict(labels)
        assert set(d) == set(keys), f"{name}: labels {sorted(d)} != {sorted(keys)}"
        out[tuple(d[k] for k in keys)] = v
    return out


def epoch(value: Any) -> float:
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).timestamp()


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def metrics_pg() -> Iterator[tuple[Settings, str]]:
    with temporary_server() as pair:
        yield pair


@pytest.fixture(scope="module")
def metrics_settings(pipeline: Any, metrics_pg: tuple[Settings, str]) -> Settings:
    pg_settings, _ = metrics_pg
    s = pipeline.settings
    return pg_settings.model_copy(update={
        "catalog": s.catalog.model_copy(update={"warehouse": s.warehouse}),
        "forecast": s.forecast,
        "mlflow": s.mlflow.model_copy(update={"tracking_uri": s.mlflow_tracking_uri}),
    })


@pytest.fixture(scope="module")
def runs(metrics_settings: Settings, metrics_pg: tuple[Settings, str], tmp_path_factory, spark,
         rolled_back) -> dict[str, Any]:
    """Runs in pipeline_runs: known successes and failures, one still running, a real failed `gold` run and, the
    latest, a real `gold` run whose gates block the publish."""
    from lakecast_cli.pipeline import run_jobs

    url = metrics_pg[1]
    h = dt.timedelta(hours=1)
    record_run(url, run_id="bronze-1", job="bronze", status="succeeded", started_at=T0,
               finished_at=T0 + dt.timedelta(seconds=42.5))
    record_run(url, run_id="bronze-2", job="bronze", status="failed", started_at=T0 + h,
               finished_at=T0 + h + dt.timedelta(seconds=3))
    record_run(url, run_id="bronze-3", job="bronze", status="succeeded", started_at=T0 + 2 * h,
               finished_at=T0 + 2 * h + dt.timedelta(seconds=61.25))
    record_run(url, run_id="forecast-1", job="forecast", status="succeeded", started_at=T0,
               finished_at=T0 + dt.timedelta(minutes=7))
    record_run(url, run_id="forecast-2", job="forecast", status="running", started_at=T0 + 3 * h)
    # a real `lakecast run gold` that fails: an empty warehouse has no silver tables to read
    empty = metrics_settings.model_copy(update={"catalog": metrics_settings.catalog.model_copy(
        update={"name": "metrics_empty", "warehouse": str(tmp_path_factory.mktemp("metrics-empty"))})})
    with pytest.raises(Exception, match=r"(?i)silver"):
        run_jobs(empty, ["gold"], Console(quiet=True))
    # a real `lakecast run gold` on the session lake whose gates block the publish: most of silver's history is
    # deleted, so gold's row counts drift past the limit (silver and the gate log are rolled back afterwards)
    sales = f"{metrics_settings.catalog.name}.silver.sales_lines"
    with rolled_back("silver.sales_lines", "ops.gate_results"):
        cutoff = spark.table(sales).agg(F.expr("percentile_approx(sale_date, 0.7)")).first()[0]
        spark.sql(f"DELETE FROM {sales} WHERE sale_date < DATE '{cutoff}'")
        with pytest.raises(GateFailure) as blocked:
            run_jobs(metrics_settings, ["gold"], Console(quiet=True))
        gate_run = spark.table(f"{metrics_settings.catalog.name}.ops.gate_results").where(
            F.col("run_id") == blocked.value.run_id)
        failed_gates = sorted({f"{r.table_name}.{r.gate}" for r in gate_run.where(~F.col("passed")).collect()})
    assert failed_gates and "gold.agg_loc_week.row_count_drift" in failed_gates
    return {"url": url, "blocked_run_id": blocked.value.run_id, "failed_gates": failed_gates}


@pytest.fixture(scope="module")
def client(metrics_settings: Settings, runs: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(metrics_settings)) as c:
        yield c


# ---------------------------------------------------------------------------------------------- jobs
def test_job_metrics_equal_the_recorded_runs(client: TestClient, runs: dict[str, Any]) -> None:
    import psycopg

    s = scrape(client)
    assert by(s, "lakecast_ops_metrics_source_up", "source") == {("appdb",): 1.0, ("lake",): 1.0}
    with psycopg.connect(runs["url"]) as conn:
        gold = conn.execute("SELECT status, started_at, finished_at, details FROM pipeline_runs "
                            "WHERE job = 'gold' ORDER BY started_at").fetchall()
    assert [g[0] for g in gold] == ["failed", "failed"]
    assert "silver" in gold[0][3]["error"].lower() and "blocked_by_gates" not in gold[0][3]
    # the publish blocked by gates is a failed run naming the gates (as ops.gate_results has them) and its run
    blocked = gold[1][3]
    assert blocked["blocked_by_gates"] is True and blocked["run_id"] == runs["blocked_run_id"]
    assert sorted(set(blocked["gates_failed"])) == runs["failed_gates"]
    assert blocked["error"].startswith(f"GateFailure: quality gates failed in run {runs['blocked_run_id']}")
    gold_seconds = (gold[1][2] - gold[1][1]).total_seconds()

    assert by(s, "lakecast_job_runs_total", "job_name", "outcome") == {
        ("bronze", "succeeded"): 2, ("bronze", "failed"): 1,
        ("forecast", "succeeded"): 1, ("forecast", "failed"): 0,
        ("gold", "succeeded"): 0, ("gold", "failed"): 2,
    }
    assert by(s, "lakecast_job_runs_in_progress", "job_name") == {("bronze",): 0, ("forecast",): 1, ("gold",): 0}
    # the latest finished run, whatever its outcome
    durations = by(s, "lakecast_job_last_run_duration_seconds", "job_name")
    assert durations[("bronze",)] == 61.25 and durations[("forecast",)] == 420.0
    assert durations[("gold",)] == pytest.approx(gold_seconds, abs=1e-6) and 0 < gold_seconds < 600
    assert by(s, "lakecast_job_last_run_failed", "job_name") == {("bronze",): 0, ("forecast",): 0, ("gold",): 1}
    # so the alert fires for the blocked gold run (its rule is a comparison of that gauge with 1)
    rule = next(r for r in alert_rules() if r["alert"] == "LakecastJobFailed")
    compared = re.fullmatch(r"\s*(lakecast_\w+)\s*==\s*1\s*", rule["expr"])
    assert compared and by(s, compared.group(1), "job_name")[("gold",)] == 1
    assert by(s, "lakecast_job_last_success_timestamp_seconds", "job_name") == {
        ("bronze",): (T0 + dt.timedelta(hours=2, seconds=61.25)).timestamp(),
        ("forecast",): (T0 + dt.timedelta(minutes=7)).timestamp(),
    }


def test_job_metrics_are_cached_briefly_then_follow_new_runs(client: TestClient, runs: dict[str, Any]) -> None:
    before = by(scrape(client), "lakecast_job_runs_total", "job_name", "outcome")
    t = T0 + dt.timedelta(days=1)
    record_run(runs["url"], run_id="maintain-1", job="maintain", status="failed", started_at=t,
               finished_at=t + dt.timedelta(seconds=9))
    assert by(scrape(client), "lakecast_job_runs_total", "job_name", "outcome") == before  # within the TTL
    time.sleep(APPDB_TTL_SECONDS + 0.1)
    s = scrape(client)
    after = by(s, "lakecast_job_runs_total", "job_name", "outcome")
    assert after == {**before, ("maintain", "succeeded"): 0, ("maintain", "failed"): 1}
    assert by(s, "lakecast_job_last_run_failed", "job_name")[("maintain",)] == 1
    assert by(s, "lakecast_job_last_run_duration_seconds", "job_name")[("maintain",)] == 9.0


# ---------------------------------------------------------------------------------------------- lake
def current_accounting(sq) -> pd.DataFrame:
    """Each batch's row with the highest seq (pandas, not the collector's SQL)."""
    rec = sq("SELECT * FROM ops.batch_reconciliation")
    return rec.sort_values("seq").groupby(["source_table", "batch_id"], as_index=False).tail(1)


def test_ingest_and_quarantine_metrics_equal_the_tables(client: TestClient, sq) -> None:
    s = scrape(client)
    quarantine = sq("SELECT source_table, rule, count(*) AS n FROM silver.quarantine GROUP BY source_table, rule")
    assert len(quarantine) >= 2, "the messy tiny data should quarantine rows under several rules"
    expected = {(r.source_table, r.rule): float(r.n) for r in quarantine.itertuples()}
    assert by(s, "lakecast_quarantined_rows", "source_table", "rule") == expected

    cur = current_accounting(sq)
    totals = cur.groupby("source_table")[["rows_landed", "rows_accepted", "rows_quarantined"]].sum()
    assert by(s, "lakecast_landed_rows", "source_table") == {(t,): float(v) for t, v in totals["rows_landed"].items()}
    assert by(s, "lakecast_accepted_rows", "source_table") == {
        (t,): float(v) for t, v in totals["rows_accepted"].items()}
    # silver.quarantine per table = the reconciliation's quarantined rows (landed = accepted + quarantined)
    per_table: dict[str, float] = {}
    for (table, _), n in expected.items():
        per_table[table] = per_table.get(table, 0.0) + n
    for table, row in totals.iterrows():
        assert per_table.get(str(table), 0.0) == row["rows_quarantined"] == row["rows_landed"] - row["rows_accepted"]

    delivered = cur.loc[cur["ingested_at"].notna() & (cur["rows_landed"] > 0)]
    latest = delivered.sort_values(["ingested_at", "batch_id"]).groupby("source_table").tail(1)
    assert by(s, "lakecast_latest_batch_quarantined_ratio", "source_table") == {
        (r.source_table,): pytest.approx(r.rows_quarantined / r.rows_landed, rel=1e-12)
        for r in latest.itertuples()}

    files = sq("SELECT source, status, count(*) AS n, max(ingested_at) AS at FROM ops.ingest_files "
               "GROUP BY source, status")
    assert by(s, "lakecast_ingest_files", "source", "status") == {
        (r.source, r.status): float(r.n) for r in files.itertuples()}
    accepted = files.loc[files["status"] == "accepted"]
    assert by(s, "lakecast_last_ingest_timestamp_seconds", "source") == {
        (r.source,): pytest.approx(epoch(r.at), abs=1e-3) for r in accepted.itertuples()}


def test_gate_accuracy_and_freshness_metrics_equal_the_tables(client: TestClient, sq) -> None:
    s = scrape(client)
    g = sq("SELECT * FROM ops.gate_results")
    per_run = g.assign(failed=~g["passed"]).groupby(["table_name", "gate", "run_id"], as_index=False).agg(
        at=("checked_at", "max"), checks=("passed", "size"), failed=("failed", "sum"))
    latest = per_run.sort_values(["at", "run_id"]).groupby(["table_name", "gate"]).tail(1)
    assert by(s, "lakecast_gate_checks", "table_name", "gate") == {
        (r.table_name, r.gate): float(r.checks) for r in latest.itertuples()}
    assert by(s, "lakecast_gate_failed_checks", "table_name", "gate") == {
        (r.table_name, r.gate): float(r.failed) for r in latest.itertuples()}
    history = g.loc[~g["passed"]].groupby(["table_name", "gate"]).size()
    assert by(s, "lakecast_gate_failures_total", "table_name", "gate") == {
        (r.table_name, r.gate): float(history.get((r.table_name, r.gate), 0)) for r in latest.itertuples()}

    detail = sq("SELECT model_id, lag, n_rows, accuracy_pct FROM gold.model_scores_detail "
                "WHERE segment = 'all' AND model_id IN ('champion', 'external')")
    assert set(detail["model_id"]) == {"champion", "external"} and detail["accuracy_pct"].notna().all()
    assert by(s, "lakecast_forecast_accuracy_ratio", "model_id", "lag") == {
        (r.model_id, str(r.lag)): pytest.approx(r.accuracy_pct / 100, rel=1e-12) for r in detail.itertuples()}
    assert by(s, "lakecast_forecast_scored_rows", "model_id", "lag") == {
        (r.model_id, str(r.lag)): float(r.n_rows) for r in detail.itertuples()}
    scores = sq("SELECT model_id, accuracy_pct FROM gold.model_scores WHERE model_id IN ('champion', 'external')")
    assert by(s, "lakecast_competition_accuracy_ratio", "model_id") == {
        (r.model_id,): pytest.approx(r.accuracy_pct / 100, rel=1e-12) for r in scores.itertuples()}

    last = sq("SELECT max(month_start) AS m FROM gold.fact_sales_monthly")["m"].iloc[0]
    assert by(s, "lakecast_latest_actuals_month_timestamp_seconds") == {(): epoch(last)}


def test_a_failed_gate_shows_after_its_snapshot_and_goes_with_a_rollback(
    client: TestClient, spark, pipeline, rolled_back
) -> None:
    cat = pipeline.settings.catalog.name
    key = ("gold.dim_dfu", "not_null")
    before = scrape(client)
    failures_before = by(before, "lakecast_gate_failures_total", "table_name", "gate").get(key, 0.0)
    with rolled_back("ops.gate_results"):
        spark.sql(
            f"INSERT INTO {cat}.ops.gate_results VALUES ('gold-metrics-test', 'gold.dim_dfu', 'not_null', 'dfu_id', "
            "false, 3.0, 0.0, '3 nulls', TIMESTAMP '2999-01-01 00:00:00')")
        # served once published, as a gold run with a failed gate publishes ops.gate_results (rolled back too)
        publish.publish(spark, pipeline.settings, "gold", "gold-metrics-test", ["ops.gate_results"])
        deadline = time.monotonic() + 10
        while True:  # the engine looks at the snapshots at most once a second (api.engine.CHECK_INTERVAL)
            s = scrape(client)
            if by(s, "lakecast_gate_failed_checks", "table_name", "gate").get(key) == 1.0:
                break
            assert time.monotonic() < deadline, "the new gate_results snapshot was not picked up in 10 s"
            time.sleep(0.3)
        assert by(s, "lakecast_gate_checks", "table_name", "gate")[key] == 1.0
        assert by(s, "lakecast_gate_failures_total", "table_name", "gate")[key] == failures_before + 1
    deadline = time.monotonic() + 10
    while by(scrape(client), "lakecast_gate_failed_checks", "table_name", "gate").get(key) == 1.0:
        assert time.monotonic() < deadline, "the rollback was not picked up in 10 s"
        time.sleep(0.3)
    assert series(scrape(client), "lakecast_gate_failed_checks") == series(before, "lakecast_gate_failed_checks")


# ---------------------------------------------------------------------------------------------- alert rules
METRIC_NAME = re.compile(r"\blakecast_[a-zA-Z0-9_:]*")


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_every_alert_rule_is_complete_and_names_exported_metrics(client: TestClient) -> None:
    exported = {name for name, _ in scrape(client)}
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)) and len(rules) >= 5
    for wanted in ("LakecastStaleActuals", "LakecastJobFailed", "LakecastGateFailed", "LakecastChampionBelowLegacy",
                   "LakecastQuarantineSpike"):
        assert wanted in names
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        used = set(METRIC_NAME.findall(rule["expr"]))
        assert used, f"{rule['alert']} names no lakecast metric"
        assert used <= exported, f"{rule['alert']} names metrics not exported: {sorted(used - exported)}"
    # and every family the collector declares is exported by this app (the pipeline ran, runs are recorded)
    assert {s.sample_name for s in SPECS} <= exported
