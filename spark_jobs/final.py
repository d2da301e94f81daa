"""Approved overrides (app DB) + the baseline champion forecast -> ``gold.fact_forecast`` scenario ``final``.

The published "final forecast" is what planners hand to execution: the statistical forecast (scenario
``baseline``, model ``champion``) with every approved planner override folded in. Overrides live in Postgres
(business actions never write Iceberg directly); this job is the only bridge.

Rules (docs/governance.md, "Final forecast"):

* Every baseline champion row is copied with ``scenario_id='final'``, ``model_id='final'``; other scenarios
  and models are never touched.
* A DFU-month covered by an approved override gets ``fcst_qty`` = the override's ``new_qty``, or the
  statistical forecast x (1 + ``pct_change`` / 100); ``algorithm_id='override'`` and ``override_id`` carry the
  lineage. Uncovered rows keep the champion's quantity and ``algorithm_id`` (``selection``).
* Several approved overrides on one DFU-month: the latest decision wins (``approved_overrides`` order); a
  percentage is always applied to the statistical forecast, never to another override.
* Override months with no baseline row (outside the forward horizon, unknown DFU) change nothing; they are
  counted in the result so the caller can report them.
* Drafts, submitted and rejected overrides are never read.

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
from lakecast.settings import Settings
from spark_jobs import gates, io

FACT = FORECAST_TABLES["fact_forecast"]
INTERVAL_COLUMNS = ("fcst_lo_80", "fcst_hi_80", "fcst_lo_95", "fcst_hi_95")
SCENARIO = "final"
SOURCE_SCENARIO, SOURCE_MODEL = "baseline", "champion"
OVERRIDE_ALGORITHM = "override"
OVERRIDE_SCHEMA = "dfu_id string, target_month date, override_id string, new_qty double, pct_change double"


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
    override_months_applied: int = 0
    override_months_unmatched: list[dict[str, Any]] = field(default_factory=list)  # no baseline row to change


# ---------------------------------------------------------------- inputs
def app_db_url(settings: Settings) -> str:
    """URL of the app database; raise AppDbUnavailable with a readable message if it is not there.

    Embedded mode never starts a server here (a batch job should not leave a database running as a side
    effect): `lakecast db start`, `lakecast serve` or `lakecast demo` start it.
    """
    from lakecast.appdb import server

    try:
        return server.database_url(settings, start_if_needed=False)
    except Exception as exc:  # AppDbError, or a misconfigured external URL
        raise AppDbUnavailable(_unavailable(exc)) from exc


def _unavailable(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return (
        f"app database unreachable ({type(exc).__name__}: {first}); "
        "approved overrides cannot be read, so the final forecast was NOT rebuilt and the previous "
        "`final` snapshot keeps serving. Start it with `lakecast db start` (embedded) or check postgres.url."
    )


def read_overrides(url: str) -> list[dict[str, Any]]:
    """Approved overrides, one dict per covered month, in application order (later decisions last)."""
    import psycopg

    from lakecast.appdb.overrides import approved_overrides

    try:
        return approved_overrides(url, expand_months=True)
    except psycopg.OperationalError as exc:
        raise AppDbUnavailable(_unavailable(exc)) from exc


def winning_overrides(expanded: list[dict[str, Any]]) -> list[tuple[str, dt.date, str, float | None, float | None]]:
    """One (dfu_id, target_month, override_id, new_qty, pct_change) per DFU-month: the last in ``expanded``."""
    winners: dict[tuple[str, dt.date], tuple[str, dt.date, str, float | None, float | None]] = {}
    for r in expanded:
        key = (r["dfu_id"], r["target_month"])
        winners[key] = (r["dfu_id"], r["target_month"], str(r["id"]), r["new_qty"], r["pct_change"])
    return sorted(winners.values(), key=lambda w: (w[0], w[1]))


def baseline_champion(spark: SparkSession, settings: Settings) -> DataFrame:
    return io.read(spark, settings, FACT).where(
        (F.col("scenario_id") == SOURCE_SCENARIO) & (F.col("model_id") == SOURCE_MODEL)
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
    applied = F.col("_ov_id").isNotNull()
    qty = (
        F.when(F.col("_new_qty").isNotNull(), F.col("_new_qty"))
        .when(F.col("_pct").isNotNull(), F.col("fcst_qty") * (F.lit(1.0) + F.col("_pct") / F.lit(100.0)))
        .otherwise(F.col("fcst_qty"))
    )
    return joined.select(
        F.lit(SCENARIO).alias("scenario_id"),
        "dfu_id", "item_id", "location_id",
        F.lit(SCENARIO).alias("model_id"),
        F.when(applied, F.lit(OVERRIDE_ALGORITHM)).otherwise(F.col("algorithm_id")).alias("algorithm_id"),
        "model_version",
        F.lit(run_id).alias("run_id"),
        "planning_grain", "timeframe", "fcst_origin", "target_month", "lag",
        qty.cast("double").alias("fcst_qty"),
        "cluster_id", "source_model_id",
        F.col("_ov_id").alias("override_id"),
        # the statistical interval no longer describes an overridden quantity: dropped there
        *[F.when(applied, F.lit(None).cast("double")).otherwise(F.col(c)).alias(c) for c in INTERVAL_COLUMNS],
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
    """Fold approved overrides into the baseline champion; gate; replace scenario ``final`` (one commit)."""
    run_id = f"final-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    expanded = read_overrides(db_url or app_db_url(settings))
    winners = winning_overrides(expanded)
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
            raise gates.GateFailure(failed)
        result.snapshots[FACT.fqn] = io.overwrite(spark, settings, FACT, final,
                                                  where=F.col("scenario_id") == SCENARIO)
        result.published = True
        if progress:
            progress("final", "published")
    finally:
        final.unpersist()
        baseline.unpersist()
    return result


def _account(result: FinalResult, final: DataFrame, winners: list[tuple]) -> None:
    """Record which overrides changed rows and which override months had no baseline row to change."""
    hit = {(r["dfu_id"], r["target_month"]) for r in
           final.where(F.col("override_id").isNotNull()).select("dfu_id", "target_month").collect()}
    result.override_months_applied = len(hit)
    result.overrides_applied = sorted({w[2] for w in winners if (w[0], w[1]) in hit}, key=int)
    result.override_months_unmatched = [
        {"override_id": w[2], "dfu_id": w[0], "target_month": w[1].isoformat()}
        for w in winners if (w[0], w[1]) not in hit
    ]
