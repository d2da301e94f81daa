"""silver.* -> gold.*: star schema, monthly facts, weekly pre-aggregates; gated, all-or-nothing publish.

Every gold table is computed first, then every gate runs; only if all pass are the tables written (each in
one atomic Iceberg commit). A failed gate is recorded in ops.gate_results, printed, and raises GateFailure,
and the served tables keep their previous snapshot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession

from contracts.gold import GATE_RESULTS, GOLD_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.settings import Settings
from spark_jobs import gates, io
from spark_jobs import gold_transforms as gt


@dataclass
class GoldResult:
    run_id: str
    published: bool
    rows: dict[str, int] = field(default_factory=dict)
    gates: list[gates.GateOutcome] = field(default_factory=list)
    snapshots: dict[str, int | None] = field(default_factory=dict)


def build(spark: SparkSession, settings: Settings) -> dict[str, DataFrame]:
    """Return every gold table as a DataFrame computed from the current silver snapshots."""
    silver = {name: io.read(spark, settings, spec) for name, spec in SILVER_TABLES.items()}
    sales = silver["sales_lines"]
    monthly = gt.fact_sales_monthly(sales).persist()
    clusters = _current_clusters(spark, settings)
    dfu = gt.dim_dfu(monthly, silver["item"], silver["location"], clusters).persist()
    return {
        "dim_item": silver["item"],
        "dim_location": silver["location"],
        "dim_customer": silver["customer"],
        "dim_calendar": gt.dim_calendar(sales),
        "dim_dfu": dfu,
        "fact_sales_monthly": monthly,
        "fact_external_forecast_monthly": gt.fact_external_forecast(silver["external_forecast"], dfu),
        "agg_loc_week": gt.weekly(sales, ["location_id"]),
        "agg_loc_item_week": gt.weekly(sales, ["location_id", "item_id"]).drop("n_items"),
        "agg_loc_customer_week": gt.weekly(sales.where("customer_id IS NOT NULL"), ["location_id", "customer_id"]).drop(
            "n_items"
        ),
    }


def _current_clusters(spark: SparkSession, settings: Settings) -> DataFrame | None:
    """Cluster assignments written by the forecasting job, if it has run (kept across gold rebuilds)."""
    name = f"{settings.catalog.name}.gold.dfu_cluster_current"
    return spark.table(name) if spark.catalog.tableExists(name) else None


def evaluate(
    spark: SparkSession, settings: Settings, tables: dict[str, DataFrame]
) -> tuple[list[gates.GateOutcome], dict[str, int]]:
    outcomes: list[gates.GateOutcome] = []
    counts: dict[str, int] = {}
    for name, df in tables.items():
        spec = GOLD_TABLES[name]
        df = io.conform(df, spec)
        counts[name] = df.count()
        outcomes.append(gates.not_null(spec, df))
        outcomes.append(gates.unique_key(spec, df))
        for column, ref in spec.references.items():
            _, parent_name, parent_col = ref.split(".")
            outcomes.append(gates.referential(spec, df, column, tables[parent_name], parent_col, ref))
        previous = io.row_count(spark, settings, spec) if io.exists(spark, settings, spec) else None
        outcomes.append(gates.row_count_drift(spec, counts[name], previous, settings.quality.max_row_count_drift))
    return outcomes, counts


def run(spark: SparkSession, settings: Settings, progress=None) -> GoldResult:
    """Build, gate and (if every gate passes) publish all gold tables."""
    run_id = f"gold-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    tables = build(spark, settings)
    if progress:
        progress("gold", "built")
    outcomes, counts = evaluate(spark, settings, tables)
    checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    io.append(
        spark,
        settings,
        GATE_RESULTS,
        spark.createDataFrame(gates.result_rows(run_id, outcomes, checked_at), io.spark_schema(GATE_RESULTS)),
    )
    result = GoldResult(run_id=run_id, published=False, rows=counts, gates=outcomes)
    failed = [g for g in outcomes if not g.passed]
    if failed:
        raise gates.GateFailure(failed)
    for name, df in tables.items():
        result.snapshots[name] = io.overwrite(spark, settings, GOLD_TABLES[name], df)
        if progress:
            progress("gold", name)
    result.published = True
    return result
