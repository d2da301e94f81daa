"""gold.fact_forecast_accuracy + gold.dim_dfu -> the dashboards' pre-aggregates (contracts/aggregates.py).

``accuracy_cube``, ``accuracy_rollup`` and ``exceptions_topn`` are pure ``DataFrame -> DataFrame`` transforms.
:func:`refresh` builds them, gates them (not null, unique key, finite and in range, references) and overwrites
them; the calling job publishes them in its run manifest with the tables they were built from:

* the forecast job, after its accuracy facts and dim_dfu's clusters are written (same manifest, so the cube never
  describes another run's facts);
* the gold job, after it rebuilt dim_dfu (classes and execution lags move with new actuals), from the *published*
  accuracy facts.

Which sums are kept, and how a KPI is computed from them, is ``lakecast.kpi`` (``SUMS``, ``sums_sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from contracts.aggregates import AGGREGATE_TABLES, CUBE_KEY, ROLLUP_KEY, TOPN_RANKS, TOPN_WINDOWS
from contracts.forecast import FORECAST_TABLES
from contracts.gold import GATE_RESULTS, GOLD_TABLES
from contracts.registry import TABLES
from lakecast import kpi
from lakecast.lag import MAX_LAG
from lakecast.settings import Settings
from spark_jobs import gates, io, publish

#: the list kept is the endpoint's default: the champion against its default FVA reference
TOPN_MODEL = "champion"
TOPN_REFERENCE = "seasonal_naive"
LAG_SPECS = ("execution", "all", *(str(k) for k in range(MAX_LAG + 1)))
ACCURACY = FORECAST_TABLES["fact_forecast_accuracy"]
DIM_DFU = GOLD_TABLES["dim_dfu"]


def _sums(abs_error: str = "abs_error", actual: str = "actual_qty", forecast: str = "fcst_qty") -> list[Any]:
    return [F.expr(expr).alias(name) for name, expr in kpi.sums_sql(abs_error, actual, forecast).items()]


def _backtest_with_dfu(acc: DataFrame, dfu: DataFrame) -> DataFrame:
    """Backtest accuracy rows joined to their DFU's attributes (inner join: the API pools the same rows)."""
    a = acc.where(F.col("scenario_id") == "backtest").select(
        "model_id", "dfu_id", "lag", "timeframe", "fcst_origin", "target_month", "fcst_qty", "actual_qty", "abs_error",
        "run_id")
    d = dfu.select("dfu_id", "item_id", "location_id", "region", "category", "cluster_id", "cluster_label",
                   "abc_class", "xyz_class", "execution_lag")
    return a.join(d, "dfu_id")


def accuracy_cube(acc: DataFrame, dfu: DataFrame) -> DataFrame:
    """The accuracy sums per model x lag x target month x DFU attributes, with the flags and previous-month
    columns that make distinct-DFU counts and the aligned lag curve exact (contracts.aggregates.AggAccuracyCube)."""
    x = _backtest_with_dfu(acc, dfu)
    n_lags = acc.where(F.col("scenario_id") == "backtest").agg(F.countDistinct("lag").alias("_n_lags"))
    x = x.crossJoin(F.broadcast(n_lags))
    per_dfu = ("model_id", "dfu_id")
    lags_of_month = F.size(F.collect_set("lag").over(Window.partitionBy(*per_dfu, "target_month")))
    x = x.withColumn("is_aligned", lags_of_month == F.col("_n_lags"))
    x = x.withColumn("is_execution_lag", F.col("lag") == F.col("execution_lag"))
    x = x.withColumn("prev_month_lag",
                     F.lag("target_month").over(Window.partitionBy(*per_dfu, "lag").orderBy("target_month")))
    x = x.withColumn("prev_month_any",
                     F.lag("target_month").over(Window.partitionBy(*per_dfu).orderBy("target_month", "lag")))
    aligned_w = Window.partitionBy(*per_dfu, "lag", "is_aligned").orderBy("target_month")
    x = x.withColumn("prev_month_aligned", F.when(F.col("is_aligned"), F.lag("target_month").over(aligned_w)))
    # timeframe/origin, region and the cluster label follow from the key (one origin per target month at a lag)
    return x.groupBy(*CUBE_KEY, "timeframe", "fcst_origin", "region", "cluster_label", "run_id").agg(
        F.count(F.lit(1)).alias("n_rows"), *_sums())


def accuracy_rollup(cube: DataFrame) -> DataFrame:
    """The cube summed over locations (every other column of its key kept: the sums stay exact)."""
    return cube.groupBy(*ROLLUP_KEY, "timeframe", "fcst_origin", "cluster_label", "run_id").agg(
        *[F.sum(c).alias(c) for c in ("n_rows", *kpi.SUMS)])


def exceptions_topn(acc: DataFrame, dfu: DataFrame, model: str = TOPN_MODEL, reference: str = TOPN_REFERENCE,
                    windows: int = TOPN_WINDOWS, ranks: int = TOPN_RANKS) -> DataFrame:
    """The ``ranks`` worst DFUs of ``model`` per ranking (error, bias, FVA vs ``reference``), lag spec and window
    ``window=N`` (N = 1..``windows`` target months ending at the last backtested month), as ``/exceptions`` ranks
    them (api/services/analytics/exceptions_topn.py): ties by dfu_id, FVA only over DFUs with shared rows."""
    back = acc.where(F.col("scenario_id") == "backtest")
    anchor = back.agg(F.max("target_month").alias("_anchor"))
    m = _backtest_with_dfu(acc.where(F.col("model_id") == model), dfu)
    ref = back.where(F.col("model_id") == reference).select(
        "dfu_id", "fcst_origin", "target_month", F.col("abs_error").alias("_ref_abs_error"))
    x = m.join(ref, ["dfu_id", "fcst_origin", "target_month"], "left").crossJoin(F.broadcast(anchor))
    lag_specs = F.array(F.lit("all"), F.col("lag").cast("string"))
    x = x.withColumn("lag_spec", F.explode(F.when(F.col("lag") == F.col("execution_lag"),
                                                  F.array_union(lag_specs, F.array(F.lit("execution"))))
                                          .otherwise(lag_specs)))
    back_months = F.months_between(F.col("_anchor"), F.col("target_month")).cast("int")
    x = x.where(back_months < windows).withColumn("_n", F.explode(F.sequence(back_months + 1, F.lit(windows))))
    shared = F.col("_ref_abs_error").isNotNull()
    g = x.groupBy("lag_spec", "_n", "_anchor", "dfu_id", "item_id", "location_id", "category", "region", "abc_class",
                  "cluster_label", "run_id").agg(
        F.count(F.lit(1)).alias("n_rows"), *_sums(),
        F.sum(F.col("_ref_abs_error") - F.col("abs_error")).alias("fva_units"),
        F.sum(F.when(shared, F.col("abs_error"))).alias("fva_model_abs_error"),
        F.sum("_ref_abs_error").alias("fva_ref_abs_error"),
        F.sum(F.when(shared, F.abs("actual_qty"))).alias("fva_abs_actual"),
        F.count("_ref_abs_error").alias("_shared_rows"))
    rankings = {
        "error": (g, F.col("abs_error").desc()),
        "bias": (g, F.abs(F.col("forecast_qty") - F.col("actual_qty")).desc()),
        "fva": (g.where(F.col("_shared_rows") > 0), F.col("fva_units").asc()),
    }
    parts = []
    for rank_by, (rows, order) in rankings.items():
        w = Window.partitionBy("lag_spec", "_n").orderBy(order, F.col("dfu_id").asc())
        ranked = (rows.withColumn("rank", F.row_number().over(w))
                  .withColumn("total", F.count(F.lit(1)).over(Window.partitionBy("lag_spec", "_n")))
                  .where(F.col("rank") <= ranks))
        parts.append(ranked.withColumn("rank_by", F.lit(rank_by)))
    out = parts[0].unionByName(parts[1]).unionByName(parts[2])
    return out.select(
        "*", F.lit(model).alias("model_id"), F.lit(reference).alias("fva_vs"),
        F.add_months(F.col("_anchor"), 1 - F.col("_n")).alias("window_from"), F.col("_anchor").alias("window_to"))


def build(acc: DataFrame, dfu: DataFrame) -> dict[str, DataFrame]:
    """Every pre-aggregate from the accuracy facts and the DFU dimension they are served with."""
    cube = accuracy_cube(acc, dfu)
    return {"agg_accuracy_cube": cube, "agg_accuracy_rollup": accuracy_rollup(cube),
            "exceptions_topn": exceptions_topn(acc, dfu)}


# ---------------------------------------------------------------------------------------------- wiring
@dataclass
class AggregatesResult:
    snapshots: dict[str, int | None] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    gates: list[gates.GateOutcome] = field(default_factory=list)


def evaluate(spark: SparkSession, settings: Settings,
             tables: dict[str, DataFrame]) -> tuple[list[gates.GateOutcome], dict[str, int]]:
    outcomes: list[gates.GateOutcome] = []
    counts: dict[str, int] = {}
    for name, df in tables.items():
        spec = AGGREGATE_TABLES[name]
        df = io.conform(df, spec)
        counts[name] = df.count()
        outcomes.append(gates.not_null(spec, df))
        outcomes.append(gates.unique_key(spec, df))
        outcomes += gates.finite_and_bounded(spec, df, settings.quality.max_abs_value)
        for column, ref in spec.references.items():
            parent_fqn, parent_col = ref.rsplit(".", 1)
            parent = io.read(spark, settings, TABLES[parent_fqn])
            outcomes.append(gates.referential(spec, df, column, parent, parent_col, ref))
    return outcomes, counts


def published_accuracy(spark: SparkSession, settings: Settings) -> DataFrame | None:
    """``gold.fact_forecast_accuracy`` at its published snapshot (None before the forecast job has published)."""
    entry = publish.published(spark, settings).get(ACCURACY.fqn)
    if entry is None:
        return None
    return spark.sql(f"SELECT * FROM {io.table_name(settings, ACCURACY)} VERSION AS OF {entry.snapshot_id}")


def refresh(spark: SparkSession, settings: Settings, job: str, run_id: str, accuracy: DataFrame | None = None,
            progress: Callable[..., Any] | None = None) -> AggregatesResult:
    """Build the pre-aggregates from ``accuracy`` (default: the current accuracy facts) and the current
    ``gold.dim_dfu`` (the ones ``job`` is about to publish), gate them and overwrite them; ``job`` publishes them.
    A failed gate publishes only the gate results and raises GateFailure (the job's other tables stay
    unpublished)."""
    dfu = io.read(spark, settings, DIM_DFU)
    accuracy = io.read(spark, settings, ACCURACY) if accuracy is None else accuracy
    tables = {name: df.persist() for name, df in build(accuracy, dfu).items()}
    try:
        outcomes, counts = evaluate(spark, settings, tables)
        checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        io.append(spark, settings, GATE_RESULTS, spark.createDataFrame(
            gates.result_rows(run_id, outcomes, checked_at), io.spark_schema(GATE_RESULTS)))
        failed = [g for g in outcomes if not g.passed]
        if failed:
            publish.publish(spark, settings, job, run_id, [GATE_RESULTS.fqn])
            raise gates.GateFailure(failed, run_id)
        result = AggregatesResult(rows=counts, gates=outcomes)
        for name, df in tables.items():
            spec = AGGREGATE_TABLES[name]
            result.snapshots[name] = io.overwrite(spark, settings, spec, df)
            if progress:
                progress(job, name)
        return result
    finally:
        for df in tables.values():
            df.unpersist()
