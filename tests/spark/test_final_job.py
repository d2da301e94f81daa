"""The final job: approved overrides (real embedded Postgres) folded into gold.fact_forecast scenario `final`.

Two levels: the fold logic on a small hand-written baseline in its own catalog (every override status, overlaps,
percentages, months outside the horizon, idempotent rerun, unreachable app DB), and the job on the session
pipeline's real baseline champion forecast (served through DuckDB as well).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from pyspark.sql import functions as F

from contracts.forecast import FORECAST_TABLES
from lakecast.appdb.db import connect, one_row
from lakecast.appdb.seed import seed_demo_users
from lakecast.appdb.testing import temporary_server
from lakecast.settings import PostgresSettings, Settings
from spark_jobs import final as fjob
from spark_jobs import io
from spark_jobs.publish import job_tables

pytestmark = [pytest.mark.spark, pytest.mark.integration]

FACT = FORECAST_TABLES["fact_forecast"]
ORIGIN = dt.date(2025, 12, 1)
MONTHS = [dt.date(2026, m, 1) for m in (1, 2, 3)]  # forward horizon of the hand-written baseline
DFUS = {"A|L1": 100.0, "B|L1": 40.0, "C|L2": 7.0}  # DFU -> champion fcst_qty of month m = qty * m (1..3)


# ---------------------------------------------------------------- app DB helpers
@pytest.fixture(scope="module")
def appdb() -> Iterator[str]:
    """A fresh embedded Postgres with the demo users (owner URL)."""
    with temporary_server() as (_, url):
        seed_demo_users(url)
        yield url


def make_override(url: str, dfu_id: str, start: dt.date, end: dt.date, status: str, *,
                  new_qty: float | None = None, pct: float | None = None) -> int:
    """Create an override through the governance service and move it to ``status``; return its id."""
    from api.services import overrides as svc
    from contracts.app import ApprovalDecision, OverrideCreate, UserPublic

    planner = UserPublic(username="planner", display_name="P", role="planner")
    approver = UserPublic(username="approver", display_name="A", role="approver")
    item, loc = dfu_id.split("|")
    with connect(url) as conn:
        ov = svc.create_override(conn, planner, OverrideCreate(
            item_id=item, location_id=loc, start_month=start, end_month=end, new_qty=new_qty, pct_change=pct,
            reason_code="promo", reason_text="test"))
        if status == "draft":
            return ov.id
        ov = svc.submit_override(conn, planner, ov.id, ov.version)
        if status in ("approved", "rejected"):
            svc.decide_override(conn, approver, ov.id, status, ApprovalDecision(version=ov.version, note="t"))
        return ov.id


def with_db(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"postgres": PostgresSettings(mode="external", url=url)})


def final_rows(spark, settings: Settings) -> dict[tuple[str, dt.date], dict[str, Any]]:
    df = io.read(spark, settings, FACT).where(F.col("scenario_id") == "final")
    return {(r["dfu_id"], r["target_month"]): r.asDict() for r in df.collect()}


def without_run_id(rows: dict) -> dict:
    return {k: {c: v for c, v in r.items() if c != "run_id"} for k, r in rows.items()}


# ---------------------------------------------------------------- unit level: hand-written baseline
def _baseline_rows() -> list[dict[str, Any]]:
    rows = []
    common = {"model_version": "t+0", "run_id": "forecast-t", "planning_grain": "dfu_month", "fcst_origin": ORIGIN,
              "cluster_id": 1, "override_id": None}
    for dfu, qty in DFUS.items():
        item, loc = dfu.split("|")
        for lag, month in enumerate(MONTHS):
            key = {"dfu_id": dfu, "item_id": item, "location_id": loc, "target_month": month, "lag": lag}
            rows.append({**common, **key, "scenario_id": "baseline", "model_id": "champion",
                         "algorithm_id": "selection", "timeframe": "forward", "fcst_qty": qty * (lag + 1),
                         "source_model_id": "theta"})
            # rows the job must never touch: a competing model forward, and a backtest row
            rows.append({**common, **key, "scenario_id": "baseline", "model_id": "theta",
                         "algorithm_id": "statsforecast", "timeframe": "forward", "fcst_qty": 1.0,
                         "source_model_id": None})
            rows.append({**common, **key, "scenario_id": "backtest", "model_id": "champion",
                         "algorithm_id": "selection", "timeframe": "J", "fcst_qty": 2.0, "source_model_id": "theta",
                         "fcst_origin": dt.date(2025, 6, 1)})
    return rows


@pytest.fixture(scope="module")
def unit(spark, isolated_settings, appdb) -> Settings:
    s = with_db(isolated_settings("final_unit"), appdb)
    df = spark.createDataFrame(_baseline_rows(), io.spark_schema(FACT))
    io.overwrite(spark, s, FACT, df)
    return s


def test_only_approved_overrides_change_exactly_their_dfu_and_months(spark, unit, appdb):
    jan, feb, mar = MONTHS
    ids = {
        "qty": make_override(appdb, "A|L1", jan, feb, "approved", new_qty=500),
        "pct": make_override(appdb, "B|L1", mar, mar, "approved", pct=-20),
        "draft": make_override(appdb, "B|L1", jan, jan, "draft", new_qty=999),
        "submitted": make_override(appdb, "A|L1", mar, mar, "submitted", new_qty=999),
        "rejected": make_override(appdb, "B|L1", feb, feb, "rejected", new_qty=999),
        # decided after "qty": wins on Feb, as a percentage of the statistical forecast (not of 500)
        "later": make_override(appdb, "A|L1", feb, feb, "approved", pct=10),
        # months beyond the horizon and an unknown DFU change nothing
        "outside": make_override(appdb, "C|L2", mar, dt.date(2026, 6, 1), "approved", new_qty=3),
        "unknown": make_override(appdb, "Z|L9", jan, jan, "approved", new_qty=3),
    }
    before_other = io.read(spark, unit, FACT).where(F.col("scenario_id") != "final").collect()

    result = fjob.run(spark, unit)

    assert result.published and all(g.passed for g in result.gates)
    got = final_rows(spark, unit)
    assert len(got) == len(DFUS) * len(MONTHS)
    expected_changes = {
        ("A|L1", jan): (500.0, ids["qty"]),
        ("A|L1", feb): (DFUS["A|L1"] * 2 * 1.10, ids["later"]),
        ("B|L1", mar): (DFUS["B|L1"] * 3 * 0.80, ids["pct"]),
        ("C|L2", mar): (3.0, ids["outside"]),
    }
    for (dfu, month), row in got.items():
        assert (row["scenario_id"], row["model_id"], row["timeframe"]) == ("final", "final", "forward")
        assert row["run_id"] == result.run_id and row["source_model_id"] == "theta"
        assert row["fcst_origin"] == ORIGIN and row["lag"] == MONTHS.index(month)
        if (dfu, month) in expected_changes:
            qty, oid = expected_changes[(dfu, month)]
            assert row["fcst_qty"] == pytest.approx(qty), (dfu, month)
            assert (row["override_id"], row["algorithm_id"]) == (str(oid), "override"), (dfu, month)
        else:  # untouched: the champion's quantity and family; drafts/submitted/rejected did nothing
            assert row["fcst_qty"] == DFUS[dfu] * (MONTHS.index(month) + 1), (dfu, month)
            assert (row["override_id"], row["algorithm_id"]) == (None, "selection"), (dfu, month)
    assert result.override_months_applied == 4
    assert result.overrides_applied == sorted(str(ids[k]) for k in ("qty", "pct", "later", "outside"))
    unmatched = {(u["override_id"], u["dfu_id"], u["target_month"]) for u in result.override_months_unmatched}
    assert unmatched == {(str(ids["outside"]), "C|L2", "2026-04-01"), (str(ids["outside"]), "C|L2", "2026-05-01"),
                         (str(ids["outside"]), "C|L2", "2026-06-01"), (str(ids["unknown"]), "Z|L9", "2026-01-01")}
    # the overwrite touched scenario final only
    after_other = io.read(spark, unit, FACT).where(F.col("scenario_id") != "final").collect()
    assert sorted(map(tuple, after_other)) == sorted(map(tuple, before_other))
    gate_rows = spark.table(f"{unit.catalog.name}.ops.gate_results").where(F.col("run_id") == result.run_id)
    gate_rows = gate_rows.collect()
    assert {r["gate"] for r in gate_rows if r["table_name"] == FACT.fqn} == {
        "not_null", "unique_key", "matches_baseline", "non_negative"}
    # the final forecast's version, waterfall and override value were gated in the same run (spark_jobs/versions.py)
    assert {"gold.fact_forecast_version", "gold.forecast_waterfall", "gold.override_value"} <= {
        r["table_name"] for r in gate_rows}
    # the audit log names the snapshot and the overrides this run folded, with the months each won
    audit = publish_audit(appdb, result.run_id)
    assert audit["id"] == result.audit_id and audit["actor"] == "job:final"
    assert audit["after"]["snapshot_id"] == io.snapshot_id(spark, unit, FACT)
    assert audit["after"]["override_ids"] == result.overrides_applied
    assert audit["after"]["override_months"] == {str(ids["qty"]): 1, str(ids["later"]): 1, str(ids["pct"]): 1,
                                                 str(ids["outside"]): 1}
    assert len(audit["after"]["override_months_unmatched"]) == 4

    # rerun: same rows (new run id), still one row per DFU-month, nothing appended
    first = without_run_id(got)
    again = fjob.run(spark, unit)
    assert again.run_id != result.run_id
    assert without_run_id(final_rows(spark, unit)) == first
    assert io.read(spark, unit, FACT).where(F.col("scenario_id") == "final").count() == len(first)


def test_a_failed_version_gate_blocks_the_final_publish(spark, unit, appdb):
    """The version's own gates (spark_jobs/versions.py) block the publish like the job's: a bound every version row
    breaks (|fcst_qty| <= 50; the final's own gates have no such bound) fails the run, names it, serves its gate
    results, and leaves the final forecast, its versions and the waterfall as they were."""
    from spark_jobs import gates, publish

    versions = FORECAST_TABLES["fact_forecast_version"]
    waterfall = FORECAST_TABLES["forecast_waterfall"]
    before = {spec.fqn: io.snapshot_id(spark, unit, spec) for spec in (FACT, versions, waterfall)}
    served = publish.published(spark, unit)[FACT.fqn]
    tight = unit.model_copy(update={"quality": unit.quality.model_copy(update={"max_abs_value": 50.0})})
    with pytest.raises(gates.GateFailure, match=r"quality gates failed in run final-") as err:
        fjob.run(spark, tight)
    run_id = err.value.run_id
    assert run_id and {(g.table_name, g.gate) for g in err.value.failed} == {(versions.fqn, "value_range")}
    assert {spec.fqn: io.snapshot_id(spark, unit, spec) for spec in (FACT, versions, waterfall)} == before
    manifest = publish.published(spark, unit)
    assert manifest[FACT.fqn] == served  # the previous final keeps serving
    gate_results = manifest["ops.gate_results"]
    assert (gate_results.job, gate_results.run_id) == ("final", run_id)
    failed = spark.table(f"{unit.catalog.name}.ops.gate_results").where(
        (F.col("run_id") == run_id) & ~F.col("passed")).collect()
    assert {(r["table_name"], r["gate"]) for r in failed} == {(versions.fqn, "value_range")}


def publish_audit(url: str, run_id: str) -> dict[str, Any]:
    with connect(url) as conn:
        rows = conn.execute("SELECT id, actor, after FROM audit_log WHERE action = 'final.publish' "
                            "AND entity = 'final_run' AND entity_id = %s", (run_id,)).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_fold_qty_sql_runs_the_same_rule_in_spark_sql(spark):
    """The cases of tests/test_final_rule.py (hand-computed), through the SQL the job renders, on Spark SQL."""
    from lakecast import final as rule
    from tests.test_final_rule import QTY_CASES

    df = spark.createDataFrame([(i, s, q, p) for i, (s, q, p, _) in enumerate(QTY_CASES)],
                               "k int, stat double, new_qty double, pct double")  # as the job builds its winners
    got = {r["k"]: r["q"] for r in df.selectExpr("k", f"{rule.fold_qty_sql('stat', 'new_qty', 'pct')} AS q")
           .collect()}
    for i, (*_, want) in enumerate(QTY_CASES):
        assert got[i] == pytest.approx(want, abs=1e-12), QTY_CASES[i]


def test_unreachable_app_db_fails_clearly_and_keeps_the_previous_final(spark, unit):
    before = io.snapshot_id(spark, unit, FACT)
    rows_before = final_rows(spark, unit)
    down = with_db(unit, "postgresql://postgres@/lakecast?host=/nonexistent-lakecast-socket-dir")
    with pytest.raises(fjob.AppDbUnavailable, match=r"app database unreachable.*previous `final` snapshot keeps"):
        fjob.run(spark, down)
    assert io.snapshot_id(spark, unit, FACT) == before
    assert final_rows(spark, unit) == rows_before
    embedded_down = unit.model_copy(update={"postgres": PostgresSettings(mode="embedded", url="")})
    with pytest.raises(fjob.AppDbUnavailable, match="lakecast db start"):
        fjob.run(spark, embedded_down)
    assert io.snapshot_id(spark, unit, FACT) == before


def test_no_baseline_fails_before_writing(spark, isolated_settings, appdb):
    s = with_db(isolated_settings("final_empty"), appdb)
    with pytest.raises(RuntimeError, match="no baseline champion rows: run the forecast job first"):
        fjob.run(spark, s)
    assert not io.exists(spark, s, FACT)


# ---------------------------------------------------------------- pipeline level: the real forecast output
@pytest.fixture()
def restore_final(rolled_back) -> Iterator[None]:
    """Put the session pipeline's forecast tables back at their snapshots, so no other test depends on order."""
    with rolled_back(*job_tables("final")):
        yield


def test_a_failed_audit_row_rolls_the_publish_back(spark, pipeline, restore_final):
    """Publish and its audit row go together: an audit insert that fails leaves the previous snapshot. (On the
    session pipeline's catalog: Spark resolves the rollback procedure in the session's default catalog only.)"""
    s = pipeline.settings
    before = io.snapshot_id(spark, s, FACT)
    versions_before = {name: io.snapshot_id(spark, s, FORECAST_TABLES[name])
                       for name in ("fact_forecast_version", "forecast_waterfall", "override_value")}
    champion = io.read(spark, s, FACT).where("scenario_id = 'baseline' AND model_id = 'champion'").select(
        "dfu_id", "target_month").first()
    assert champion is not None, "the session pipeline published no champion row"
    dfu, month = champion
    with temporary_server() as (_, url):
        seed_demo_users(url)
        make_override(url, dfu, month, month, "approved", new_qty=11)
        with connect(url) as conn:
            conn.execute("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                         "RAISE EXCEPTION 'audit refused by the test'; END $$")
            conn.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON audit_log FOR EACH ROW "
                         "WHEN (NEW.action = 'final.publish') EXECUTE FUNCTION test_refuse()")
        with pytest.raises(Exception, match="audit refused by the test"):
            fjob.run(spark, with_db(s, url))
        with connect(url) as conn:
            assert one_row(conn.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'final.publish'"))["n"] == 0
    assert io.snapshot_id(spark, s, FACT) == before
    for name in ("fact_forecast_version", "forecast_waterfall", "override_value"):  # the version went with it
        assert io.snapshot_id(spark, s, FORECAST_TABLES[name]) == versions_before[name], name


def test_approved_override_on_the_pipeline_forecast(spark, pipeline, engine, restore_final):
    s = pipeline.settings
    base = {(r["dfu_id"], r["target_month"]): r for r in io.read(spark, s, FACT).where(
        "scenario_id = 'baseline' AND model_id = 'champion'").collect()}
    assert base, "the session pipeline should have produced baseline champion rows"
    dfus = sorted({d for d, _ in base})
    months = sorted({m for _, m in base})
    target, other = dfus[0], dfus[1]
    with temporary_server() as (_, url):
        seed_demo_users(url)
        oid = make_override(url, target, months[1], months[2], "approved", new_qty=123.5)
        make_override(url, other, months[0], months[-1], "submitted", pct=50)
        make_override(url, other, months[0], months[0], "rejected", new_qty=0)
        result = fjob.run(spark, with_db(s, url))
    assert result.published and result.overrides_applied == [str(oid)]
    got = final_rows(spark, s)
    assert set(got) == set(base)
    changed = {k for k, r in got.items() if r["override_id"] is not None}
    assert changed == {(target, months[1]), (target, months[2])}
    for key, row in got.items():
        b = base[key]
        for col in ("item_id", "location_id", "timeframe", "fcst_origin", "lag", "cluster_id", "source_model_id",
                    "model_version", "planning_grain"):
            assert row[col] == b[col], (key, col)
        if key in changed:
            assert (row["fcst_qty"], row["override_id"], row["algorithm_id"]) == (123.5, str(oid), "override")
        else:
            assert (row["fcst_qty"], row["override_id"], row["algorithm_id"]) == (b["fcst_qty"], None, "selection")
    # served: DuckDB reads the same final rows as Spark
    served = engine.query(
        "SELECT target_month, fcst_qty, override_id FROM gold.fact_forecast "
        "WHERE scenario_id = 'final' AND dfu_id = ? ORDER BY target_month", [target])
    assert [(r["target_month"], r["fcst_qty"], r["override_id"]) for r in served] == [
        (m, got[(target, m)]["fcst_qty"], got[(target, m)]["override_id"]) for m in months]
