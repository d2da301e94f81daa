"""Forecast versions: append each published forecast to ``gold.fact_forecast_version``; rebuild the waterfall and the
value of overrides from the versions kept (rules: lakecast/versions.py).

Called by the jobs that publish a forecast, just before their run manifest (spark_jobs/publish.py), so the version
tables are published with the run's other tables or not at all:

* the ``forecast`` job records its baseline champion (``record(spark, settings, "baseline", run_id)``);
* the ``final`` job records its final forecast with the statistical quantity each row was folded from
  (:func:`prepare` before its all-or-nothing block, :func:`write` inside it).

Steps of a write: append the version (one commit), delete the cycles the retention (``versions.retain_cycles``)
no longer keeps (identity partition on ``planning_cycle``: a metadata delete), then replace
``gold.forecast_waterfall`` and ``gold.override_value`` whole, computed from the versions table and
``gold.fact_sales_monthly``. A version is never rewritten; snapshot expiry cannot remove one (it is rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.forecast import FORECAST_TABLES
from contracts.gold import GATE_RESULTS, GOLD_TABLES
from lakecast import kpi
from lakecast.lag import MAX_LAG
from lakecast.settings import Settings
from lakecast.versions import VERSION_MODELS, retained_cycles, standing_versions_sql
from spark_jobs import gates, io

FACT = FORECAST_TABLES["fact_forecast"]
VERSIONS = FORECAST_TABLES["fact_forecast_version"]
WATERFALL = FORECAST_TABLES["forecast_waterfall"]
OVERRIDE_VALUE = FORECAST_TABLES["override_value"]
SALES = GOLD_TABLES["fact_sales_monthly"]
#: the tables a write changes (for a job's all-or-nothing block)
SPECS = (VERSIONS, WATERFALL, OVERRIDE_VALUE)


@dataclass
class Prepared:
    """A version ready to write: its rows (materialised) and the outcome of its gates."""

    scenario: str
    run_id: str
    rows: DataFrame
    n_rows: int
    gates: list[gates.GateOutcome] = field(default_factory=list)


def version_rows(published: DataFrame, baseline: DataFrame | None, scenario: str, run_id: str,
                 published_at: dt.datetime) -> DataFrame:
    """The version rows of ``published`` (the scenario rows a run wrote to ``gold.fact_forecast``).

    ``baseline``: the baseline champion rows a final forecast was folded from (final only): their quantity is
    ``stat_qty`` and their run is ``base_version_id``."""
    p = published.alias("p")
    if scenario == "final":
        if baseline is None:
            raise ValueError("a final version needs the baseline champion rows it was folded from")
        b = baseline.select("dfu_id", "fcst_origin", "target_month", F.col("fcst_qty").alias("_stat"),
                            F.col("run_id").alias("_base"))
        p = p.join(b, ["dfu_id", "fcst_origin", "target_month"], "left")
        stat, base = F.coalesce(F.col("_stat"), F.col("fcst_qty")), F.col("_base")
    else:
        stat, base = F.col("fcst_qty"), F.lit(None).cast("string")
    return p.select(
        F.lit(run_id).alias("version_id"),
        F.date_format("fcst_origin", "yyyy-MM").alias("planning_cycle"),
        F.lit(scenario).alias("scenario_id"),
        base.alias("base_version_id"),
        "fcst_origin", "dfu_id", "item_id", "location_id", "target_month", "lag", "model_id", "algorithm_id",
        "source_model_id", "model_version", "override_id",
        F.col("fcst_qty").cast("double").alias("fcst_qty"),
        stat.cast("double").alias("stat_qty"),
        F.lit(published_at).cast("timestamp").alias("published_at"),
    )


def published_rows(spark: SparkSession, settings: Settings, scenario: str, run_id: str) -> DataFrame:
    """The rows of ``scenario`` that run ``run_id`` wrote to ``gold.fact_forecast`` (its version's content)."""
    return io.read(spark, settings, FACT).where(
        (F.col("scenario_id") == scenario) & (F.col("model_id") == VERSION_MODELS[scenario])
        & (F.col("run_id") == run_id))


def baseline_champion(spark: SparkSession, settings: Settings) -> DataFrame:
    return io.read(spark, settings, FACT).where(
        (F.col("scenario_id") == "baseline") & (F.col("model_id") == VERSION_MODELS["baseline"]))


def prepare(spark: SparkSession, settings: Settings, scenario: str, run_id: str,
            published: DataFrame | None = None, baseline: DataFrame | None = None) -> Prepared:
    """Build and gate the version of ``run_id`` (rows read from ``gold.fact_forecast`` unless given); the gate
    outcomes are appended to ``ops.gate_results``; a failed gate raises :class:`gates.GateFailure` (the caller
    publishes ``ops.gate_results`` alone, as for its own gates)."""
    if scenario not in VERSION_MODELS:
        raise ValueError(f"unknown version scenario {scenario!r}; known: {list(VERSION_MODELS)}")
    if published is None:
        published = published_rows(spark, settings, scenario, run_id)
    if scenario == "final" and baseline is None:
        baseline = baseline_champion(spark, settings)
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # materialised: the rows must not be re-read after the tables they come from change
    rows = io.conform(version_rows(published, baseline, scenario, run_id, at), VERSIONS).localCheckpoint()
    prep = Prepared(scenario, run_id, rows, rows.count())
    prep.gates = [gates.not_null(VERSIONS, rows), gates.unique_key(VERSIONS, rows),
                  *gates.finite_and_bounded(VERSIONS, rows, settings.quality.max_abs_value)]
    _record_gates(spark, settings, run_id, prep.gates)
    return prep


def write(spark: SparkSession, settings: Settings, prep: Prepared) -> dict[str, int | None]:
    """Append the version, apply the retention, rebuild waterfall and override value; return table -> snapshot."""
    snaps: dict[str, int | None] = {}
    if prep.n_rows:
        snaps[VERSIONS.fqn] = io.append(spark, settings, VERSIONS, prep.rows)
    else:
        io.ensure_table(spark, settings, VERSIONS)
    snaps[VERSIONS.fqn] = apply_retention(spark, settings) or io.snapshot_id(spark, settings, VERSIONS)
    versions = io.read(spark, settings, VERSIONS)
    sales = io.read(spark, settings, SALES)
    waterfall = io.conform(build_waterfall(spark, versions, sales), WATERFALL).localCheckpoint()
    value = io.conform(build_override_value(spark, versions, sales), OVERRIDE_VALUE).localCheckpoint()
    outcomes = []
    for spec, df in ((WATERFALL, waterfall), (OVERRIDE_VALUE, value)):
        outcomes += [gates.not_null(spec, df), gates.unique_key(spec, df),
                     *gates.finite_and_bounded(spec, df, settings.quality.max_abs_value)]
    _record_gates(spark, settings, prep.run_id, outcomes)
    snaps[WATERFALL.fqn] = io.overwrite(spark, settings, WATERFALL, waterfall)
    snaps[OVERRIDE_VALUE.fqn] = io.overwrite(spark, settings, OVERRIDE_VALUE, value)
    return snaps


def record(spark: SparkSession, settings: Settings, scenario: str, run_id: str) -> dict[str, int | None]:
    """:func:`prepare` + :func:`write` for a job whose ``gold.fact_forecast`` rows are already written (the
    forecast job's publish-time hook); return table name (without namespace, as the forecast job's result names
    its tables) -> snapshot id."""
    snaps = write(spark, settings, prepare(spark, settings, scenario, run_id))
    return {fqn.split(".", 1)[1]: snap for fqn, snap in snaps.items()}


def apply_retention(spark: SparkSession, settings: Settings) -> int | None:
    """Delete the cycles ``versions.retain_cycles`` no longer keeps; return the new snapshot (None: nothing to do)."""
    retain = settings.versions.retain_cycles
    if retain is None or not io.exists(spark, settings, VERSIONS):
        return None
    cycles = [r["planning_cycle"] for r in io.read(spark, settings, VERSIONS).select("planning_cycle")
              .distinct().collect()]
    drop = sorted(set(cycles) - retained_cycles(cycles, retain))
    if not drop:
        return None
    listed = ", ".join(f"'{c}'" for c in drop)  # YYYY-MM values read from the table (parse_cycle shape)
    spark.sql(f"DELETE FROM {io.table_name(settings, VERSIONS)} WHERE planning_cycle IN ({listed})")
    return io.snapshot_id(spark, settings, VERSIONS)


def _record_gates(spark: SparkSession, settings: Settings, run_id: str, outcomes: list[gates.GateOutcome]) -> None:
    checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    io.append(spark, settings, GATE_RESULTS, spark.createDataFrame(
        gates.result_rows(run_id, outcomes, checked_at), io.spark_schema(GATE_RESULTS)))
    failed = [g for g in outcomes if not g.passed]
    if failed:
        raise gates.GateFailure(failed, run_id)


# ---------------------------------------------------------------- transforms (pure)
def _standing_rows(spark: SparkSession, versions: DataFrame) -> DataFrame:
    """Rows of the standing version of every (scenario, cycle), lags 0..MAX_LAG."""
    versions.createOrReplaceTempView("_lc_versions")
    standing = spark.sql(standing_versions_sql("_lc_versions")).select("version_id")
    return versions.join(F.broadcast(standing), "version_id").where(F.col("lag") <= MAX_LAG)


def _actuals(sales: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(dfu_id, month_start, qty) and the one-row frame of the last month with actuals (``anchor``)."""
    return (sales.select("dfu_id", F.col("month_start").alias("target_month"), F.col("qty").alias("_qty")),
            sales.agg(F.max("month_start").alias("_anchor")))


def _actual(target: str = "target_month") -> F.Column:
    """Actual units: the month's qty, 0 for a DFU without a row up to the last month with actuals, else null."""
    return (F.when(F.col("_qty").isNotNull(), F.col("_qty").cast("double"))
            .when(F.col(target) <= F.col("_anchor"), F.lit(0.0)))


def build_waterfall(spark: SparkSession, versions: DataFrame, sales: DataFrame) -> DataFrame:
    """``gold.forecast_waterfall``: per DFU x target month x lag, the standing baseline and final versions' quantity
    of cycle ``target - lag - 1`` and the actual (lakecast/versions.py)."""
    rows = _standing_rows(spark, versions)
    keys = ["dfu_id", "target_month", "lag"]

    def side(scenario: str, extra: list[str]) -> DataFrame:
        return rows.where(F.col("scenario_id") == scenario).select(
            *keys, F.col("item_id").alias(f"_{scenario}_item"), F.col("location_id").alias(f"_{scenario}_loc"),
            F.col("planning_cycle").alias(f"_{scenario}_cycle"), F.col("fcst_origin").alias(f"_{scenario}_origin"),
            F.col("version_id").alias(f"{scenario}_version_id"), F.col("fcst_qty").alias(f"{scenario}_qty"), *extra)

    joined = side("baseline", []).join(side("final", ["override_id"]), keys, "full")
    actual, anchor = _actuals(sales)
    joined = joined.join(actual, ["dfu_id", "target_month"], "left").crossJoin(anchor)
    act = _actual()
    return joined.select(
        "dfu_id",
        F.coalesce("_baseline_item", "_final_item").alias("item_id"),
        F.coalesce("_baseline_loc", "_final_loc").alias("location_id"),
        "target_month", "lag",
        F.coalesce("_baseline_cycle", "_final_cycle").alias("planning_cycle"),
        F.coalesce("_baseline_origin", "_final_origin").alias("fcst_origin"),
        "baseline_version_id", "baseline_qty", "final_version_id", "final_qty", "override_id",
        act.alias("actual_qty"),
        F.abs(F.col("baseline_qty") - act).alias("baseline_abs_error"),
        F.abs(F.col("final_qty") - act).alias("final_abs_error"),
    )


def build_override_value(spark: SparkSession, versions: DataFrame, sales: DataFrame) -> DataFrame:
    """``gold.override_value``: per override x lag, the standing final rows it won with a known actual, final
    quantity vs the statistical quantity it was folded from (lakecast.kpi for Accuracy% and FVA)."""
    rows = _standing_rows(spark, versions).where((F.col("scenario_id") == "final") & F.col("override_id").isNotNull())
    actual, anchor = _actuals(sales)
    rows = rows.join(actual, ["dfu_id", "target_month"], "left").crossJoin(anchor)
    rows = rows.withColumn("_actual", _actual()).where(F.col("_actual").isNotNull()).select(
        "override_id", "lag", "dfu_id", "target_month", "fcst_qty", "stat_qty", "_actual",
        F.abs(F.col("stat_qty") - F.col("_actual")).alias("_stat_err"),
        F.abs(F.col("fcst_qty") - F.col("_actual")).alias("_final_err"))
    return rows.groupBy("override_id", "lag").agg(
        F.count(F.lit(1)).alias("n_rows"), F.countDistinct("dfu_id").alias("n_dfus"),
        F.min("target_month").alias("first_month"), F.max("target_month").alias("last_month"),
        F.sum("_actual").alias("actual_qty"), F.sum(F.abs("_actual")).alias("abs_actual"),
        F.sum("stat_qty").alias("baseline_qty"), F.sum("fcst_qty").alias("final_qty"),
        F.sum("_stat_err").alias("baseline_abs_error"), F.sum("_final_err").alias("final_abs_error"),
        F.expr(kpi.fva_sql("_final_err", "_stat_err", "_actual")).alias("fva"),
    )
