"""Approved overrides (app DB) + the baseline champion forecast -> ``gold.fact_forecast`` scenario ``final``.

The published "final forecast" is what planners hand to execution: the statistical forecast (scenario
``baseline``, model ``champion``) with every approved planner override folded in. Overrides live in Postgres
(business actions never write Iceberg directly). The API serves the final forecast by folding the approved
overrides in at read time (api/services/final.py), so an approval shows at once; this job materialises the same
fold in Iceberg, for history and for every other reader (DuckDB/Trino, BI, the chat).

The fold rule is defined once, in :mod:`lakecast.final` (only ``approved`` overrides; the latest decision wins a
DFU-month; ``new_qty`` or ``stat x (1 + pct_change / 100)``, a percentage always on the statistical value); this
job renders its SQL (:func:`lakecast.final.fold_qty_sql`). Job-specific:

* Every baseline champion row is copied with ``scenario_id='final'``, ``model_id='final'``; other scenarios
  and models are never touched.
* Override months with no baseline row (outside the forward horizon, unknown DFU) change nothing; they are
  counted in the result so the caller can report them.
* The audit log gets one ``final.publish`` row per published run (entity ``final_run``, id = ``run_id``) naming
  the Iceberg snapshot and the overrides it folded, in the same all-or-nothing step as the publish: if the
  audit row cannot be committed, the table is rolled back to its previous snapshot.

Each published final run is also kept as a version in ``gold.fact_forecast_version`` (with the statistical
quantity each row was folded from), and the waterfall and override value are rebuilt (spark_jobs/versions.py),
inside the same all-or-nothing step.

Only the ``final`` scenario partition is replaced, in one Iceberg commit, after the gates pass; a rerun on the
same inputs writes the same rows (only ``run_id`` differs). If the app database is unreachable the job fails
before writing anything, so the previous final snapshot keeps serving.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.forecast import FORECAST_TABLES
from contracts.gold import GATE_RESULTS
from contracts.ops import PUBLISHED_RUNS
from lakecast import final as rule
from lakecast.settings import Settings
from spark_jobs import gates, io, publish, versions
from spark_jobs.batches import all_or_nothing

FACT = FORECAST_TABLES["fact_forecast"]
OVERRIDE_SCHEMA = "dfu_id string, target_month date, override_id string, new_qty double, pct_change double"
#: Audit log row of a published final run: which snapshot folded which overrides.
AUDIT_ACTOR, AUDIT_ACTION, AUDIT_ENTITY = "job:final", "final.publish", "final_run"


class AppDbUnavailable(RuntimeError):
    """The app database (overrides) could not be reached: nothing was written, the previous final serves."""


@dataclass
class FinalResult:
    run_id: str
    published: bool
    rows: dict[str, int] = field(default_factory=dict)
    gates: list[gates.GateOutcome] = field(default_factory=list)
    snapshots: dict[str, int | None] = field(default_factory=dict)
    overrides_applied: list[str] = field(default_factory=list)  # ids of overrides that changed >= 1 row
    override_months_by_id: dict[str, int] = field(default_factory=dict)  # override id -> months it won
    override_months_applied: int = 0
    override_months_unmatched: list[dict[str, Any]] = field(default_factory=list)  # no baseline row to change
    audit_id: int | None = None  # the final.publish row of audit_log


# ---------------------------------------------------------------- inputs
def app_db_url(settings: Settings) -> str:
    """URL of the app database; raise AppDbUnavailable with a readable message if it is not there.

    Embedded mode never starts a server here (a batch job should not leave a database running as a side
    effect): `lakecast db start`, `lakecast serve` or `lakecast demo` start it.
    """
    from lakecast.appdb import server

    try:
        return server.database_url(settings, start_if_needed=False)
    except server.AppDbError as exc:  # embedded server not running, or an empty external URL
        raise AppDbUnavailable(_unavailable(exc)) from exc


def _unavailable(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return (
        f"app database unreachable ({type(exc).__name__}: {first}); "
        "approved overrides cannot be read, so the final forecast was NOT rebuilt and the previous "
        "`final` snapshot keeps serving. Start it with `lakecast db start` (embedded) or check postgres.url."
    )


def read_overrides(url: str) -> list[dict[str, Any]]:
    """Approved overrides (``lakecast.appdb.overrides.read_approved``), in decision order."""
    import psycopg

    from lakecast.appdb.overrides import approved_overrides

    try:
        return approved_overrides(url)
    except psycopg.OperationalError as exc:
        raise AppDbUnavailable(_unavailable(exc)) from exc


Winner = tuple[str, dt.date, str, float | None, float | None]  # dfu_id, target_month, override_id, new_qty, pct


def winner_rows(overrides: list[dict[str, Any]]) -> list[Winner]:
    """One row per DFU-month: the override that wins it by :func:`lakecast.final.winning_overrides`."""
    won = rule.winning_overrides(overrides)
    return [(dfu, month, a.override_id, a.new_qty, a.pct_change) for (dfu, month), a in sorted(won.items())]


def baseline_champion(spark: SparkSession, settings: Settings) -> DataFrame:
    return io.read(spark, settings, FACT).where(
        (F.col("scenario_id") == rule.SOURCE_SCENARIO) & (F.col("model_id") == rule.SOURCE_MODEL)
    )


# ---------------------------------------------------------------- transform (pure)
def fold_overrides(baseline: DataFrame, overrides: DataFrame, run_id: str) -> DataFrame:
    """Return the final scenario: ``baseline`` champion rows with ``overrides`` (one per DFU-month) applied."""
    o = overrides.select(
        "dfu_id", "target_month", F.col("override_id").alias("_ov_id"), F.col("new_qty").alias("_new_qty"),
        F.col("pct_change").alias("_pct"),
    )
    b = baseline.drop("override_id")
    joined = b.join(o, ["dfu_id", "target_month"], "left")
    applied = F.expr(rule.folded_sql("_ov_id"))
    qty = F.expr(rule.fold_qty_sql("fcst_qty", "_new_qty", "_pct"))
    return joined.select(
        F.lit(rule.SCENARIO).alias("scenario_id"),
        "dfu_id", "item_id", "location_id",
        F.lit(rule.MODEL).alias("model_id"),
        F.when(applied, F.lit(rule.OVERRIDE_ALGORITHM)).otherwise(F.col("algorithm_id")).alias("algorithm_id"),
        "model_version",
        F.lit(run_id).alias("run_id"),
        "planning_grain", "timeframe", "fcst_origin", "target_month", "lag",
        qty.cast("double").alias("fcst_qty"),
        "cluster_id", "source_model_id",
        F.col("_ov_id").alias("override_id"),
        *[F.when(applied, F.lit(None).cast("double")).otherwise(F.col(c)).alias(c) for c in rule.INTERVAL_COLUMNS],
    )


# ---------------------------------------------------------------- gates
def evaluate(final: DataFrame, baseline: DataFrame) -> tuple[list[gates.GateOutcome], int]:
    """Gates: not null, unique key, same (DFU, origin, month) keys as the baseline champion, fcst_qty >= 0."""
    final = io.conform(final, FACT)
    n = final.count()
    keys = ["dfu_id", "fcst_origin", "target_month"]
    fk, bk = final.select(*keys), baseline.select(*keys)
    missing, extra = bk.exceptAll(fk).count(), fk.exceptAll(bk).count()
    negative = final.where(F.col("fcst_qty") < 0).count()
    return [
        gates.not_null(FACT, final),
        gates.unique_key(FACT, final),
        gates.GateOutcome(FACT.fqn, "matches_baseline", ",".join(keys), missing == 0 and extra == 0,
                          float(missing + extra), 0.0,
                          f"{missing} baseline champion rows missing from final, {extra} final rows not in baseline"),
        gates.GateOutcome(FACT.fqn, "non_negative", "fcst_qty", negative == 0, float(negative), 0.0,
                          f"{negative} final rows with a negative forecast"),
    ], n


# ---------------------------------------------------------------- job
def run(spark: SparkSession, settings: Settings, progress=None, db_url: str | None = None) -> FinalResult:
    """Fold approved overrides into the baseline champion; gate; replace scenario ``final`` (one commit); audit."""
    run_id = f"final-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    url = db_url or app_db_url(settings)
    winners = winner_rows(read_overrides(url))
    publish.recover(spark, settings, "final", progress)
    if progress:
        progress("final", f"{len(winners)} approved override months")

    baseline = baseline_champion(spark, settings).persist()
    if baseline.isEmpty():
        baseline.unpersist()
        raise RuntimeError(
            "gold.fact_forecast has no baseline champion rows: run the forecast job first (lakecast run forecast)"
        )
    overrides = spark.createDataFrame(winners, OVERRIDE_SCHEMA)
    final = fold_overrides(baseline, overrides, run_id).persist()
    result = FinalResult(run_id=run_id, published=False)
    try:
        _account(result, final, winners)
        result.gates, result.rows[FACT.fqn] = evaluate(final, baseline)
        checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        io.append(spark, settings, GATE_RESULTS, spark.createDataFrame(
            gates.result_rows(run_id, result.gates, checked_at), io.spark_schema(GATE_RESULTS)))
        failed = [g for g in result.gates if not g.passed]
        if failed:
            publish.publish(spark, settings, "final", run_id, [GATE_RESULTS.fqn])
            raise gates.GateFailure(failed, run_id)
        try:  # the version's gates (spark_jobs/versions.py) block the publish like the job's own
            version = versions.prepare(spark, settings, rule.SCENARIO, run_id, published=final, baseline=baseline)
            _publish(spark, settings, url, final, result, version)
        except gates.GateFailure:
            publish.publish(spark, settings, "final", run_id, [GATE_RESULTS.fqn])
            raise
        result.published = True
        if progress:
            progress("final", "published")
    finally:
        final.unpersist()
        baseline.unpersist()
    return result


def _publish(spark: SparkSession, settings: Settings, url: str, final: DataFrame, result: FinalResult,
             version: versions.Prepared) -> None:
    """Replace scenario ``final``, record it as a version (spark_jobs/versions.py) and append its ``final.publish``
    audit row; none happens without the others."""
    import psycopg

    from lakecast.appdb.audit import write_audit
    from lakecast.appdb.db import connect

    try:
        conn = connect(url)
    except psycopg.OperationalError as exc:
        raise AppDbUnavailable(_unavailable(exc)) from exc
    with all_or_nothing(spark, settings, [FACT, *versions.SPECS, PUBLISHED_RUNS]), conn, conn.transaction():
        result.snapshots[FACT.fqn] = io.overwrite(spark, settings, FACT, final,
                                                  where=F.col("scenario_id") == rule.SCENARIO)
        result.snapshots |= versions.write(spark, settings, version)
        result.audit_id = write_audit(conn, actor=AUDIT_ACTOR, action=AUDIT_ACTION, entity=AUDIT_ENTITY,
                                      entity_id=result.run_id, after=audit_record(result))
        publish.publish(spark, settings, "final", result.run_id)  # last Iceberg commit (spark_jobs/publish.py)


def audit_record(result: FinalResult) -> dict[str, Any]:
    """What the ``final.publish`` audit row says: the snapshot, and which override won which months in it."""
    return {
        "run_id": result.run_id,
        "table": FACT.fqn,
        "snapshot_id": result.snapshots.get(FACT.fqn),
        "rows": result.rows.get(FACT.fqn),
        "override_ids": result.overrides_applied,
        "override_months": result.override_months_by_id,
        "override_months_applied": result.override_months_applied,
        "override_months_unmatched": result.override_months_unmatched,
    }


def _account(result: FinalResult, final: DataFrame, winners: list[Winner]) -> None:
    """Record which overrides changed rows (and how many months each) and which months had no baseline row."""
    hit = {(r["dfu_id"], r["target_month"]) for r in
           final.where(F.col("override_id").isNotNull()).select("dfu_id", "target_month").collect()}
    result.override_months_applied = len(hit)
    for w in winners:
        if (w[0], w[1]) in hit:
            result.override_months_by_id[w[2]] = result.override_months_by_id.get(w[2], 0) + 1
    result.overrides_applied = sorted(result.override_months_by_id, key=int)
    result.override_months_by_id = {k: result.override_months_by_id[k] for k in result.overrides_applied}
    result.override_months_unmatched = [
        {"override_id": w[2], "dfu_id": w[0], "target_month": w[1].isoformat()}
        for w in winners if (w[0], w[1]) not in hit
    ]
