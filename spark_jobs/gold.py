"""silver.* -> gold.*: star schema, monthly facts, weekly pre-aggregates; gated, all-or-nothing publish.

Once the forecast job has published accuracy facts, the accuracy pre-aggregates are rebuilt here too (from those
published facts and the new dim_dfu, spark_jobs/aggregates.py) and published with the gold tables.

Every gold table is computed first, then every gate runs; only if all pass are the tables written (each in
one atomic Iceberg commit) and then published together (one run manifest, spark_jobs/publish.py). A failed gate
is recorded in ops.gate_results (published alone), printed, and raises GateFailure, and the served tables keep
their previous snapshot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.base import TableSpec
from contracts.bronze import INGEST_FILES
from contracts.gold import GATE_RESULTS, GOLD_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.settings import Settings
from spark_jobs import aggregates, gates, io, publish
from spark_jobs import gold_transforms as gt
from spark_jobs.rows import one_row


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
        "fact_promo_plan": gt.fact_promo_plan(silver["promo_plan"]),
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
        outcomes += gates.finite_and_bounded(spec, df, settings.quality.max_abs_value)
        if name == "dim_calendar":
            outcomes.append(gates.calendar_span(spec, df, *calendar_bounds(settings)))
        previous = io.row_count(spark, settings, spec) if io.exists(spark, settings, spec) else None
        drift = gates.row_count_drift(spec, counts[name], previous, settings.quality.max_row_count_drift)
        if not drift.passed:
            drift = gates.with_cause(drift, drift_cause(spark, settings, spec, df))
        outcomes.append(drift)
    return outcomes, counts


def calendar_bounds(settings: Settings, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The span gold.dim_calendar may cover: Jan 1 of the history start's year .. Dec 31 of
    (today + quality.calendar_future_days)'s year + the calendar's years ahead."""
    q = settings.quality
    today = today or dt.datetime.now(dt.UTC).date()
    last = today + dt.timedelta(days=q.calendar_future_days)
    return dt.date(q.plausibility.history_start.year, 1, 1), dt.date(last.year + gt.CALENDAR_YEARS_AHEAD, 12, 31)


# the silver table (and its date column) whose batches explain a gold table's rows, when a drift gate fails
DRIFT_SOURCES = {"fact_external_forecast_monthly": ("external_forecast", "target_month")}


def drift_cause(spark: SparkSession, settings: Settings, spec: TableSpec, new: DataFrame) -> str:
    """Plain words naming what moved a table's row count: the years that changed, the silver batches holding
    rows in those years, and the landing batches ingested since the table was last published."""
    parts = []
    col = next((c for c, t, _, _ in spec.columns() if t is dt.date and c in spec.primary_key), None)
    if col:
        changes = gates.period_changes(new, io.read(spark, settings, spec), col)
        if changes:
            shown = ", ".join(f"{y}: {o:,} -> {n:,}" for y, o, n in changes[:3])
            more = f" (+{len(changes) - 3} more years)" if len(changes) > 3 else ""
            parts.append(f"rows by year of {col}: {shown}{more}")
            source, source_col = DRIFT_SOURCES.get(spec.name, ("sales_lines", "sale_date"))
            rows = (io.read(spark, settings, SILVER_TABLES[source])
                    .where(F.year(source_col).isin([y for y, _, _ in changes]))
                    .groupBy("_batch_id")
                    .agg(F.count(F.lit(1)).alias("n"), F.min(source_col).alias("lo"), F.max(source_col).alias("hi"))
                    .orderBy(F.col("n").desc(), "_batch_id").collect())
            if rows:
                listed = ", ".join(f"{r['_batch_id']} ({r['n']:,} rows, {r['lo']}..{r['hi']})" for r in rows[:5])
                more = f" (+{len(rows) - 5} more batches)" if len(rows) > 5 else ""
                parts.append(f"silver.{source} batches with rows in those years: {listed}{more}")
    name = io.table_name(settings, spec)
    # maintenance commits `replace` snapshots (same rows): the last publish is the newest other snapshot
    since = one_row(spark.sql(f"SELECT max(committed_at) FROM {name}.snapshots WHERE operation != 'replace'"))[0]
    if since is not None and io.exists(spark, settings, INGEST_FILES):
        landed = (io.read(spark, settings, INGEST_FILES).where(F.col("ingested_at") > F.lit(since))
                  .groupBy("source", "batch_id").agg(F.sum("rows").alias("rows"))
                  .orderBy("source", "batch_id").collect())
        listed = ", ".join(f"{r['source']}/{r['batch_id']} ({r['rows']:,} rows)" for r in landed[:8])
        more = f" (+{len(landed) - 8} more)" if len(landed) > 8 else ""
        parts.append(f"batches landed since its last publish ({since:%Y-%m-%d %H:%M:%S}): {listed or 'none'}{more}")
    return "; ".join(parts)


def run(spark: SparkSession, settings: Settings, progress=None) -> GoldResult:
    """Build, gate and (if every gate passes) publish all gold tables."""
    run_id = f"gold-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    publish.recover(spark, settings, "gold", progress)
    tables = build(spark, settings)
    try:
        return _gate_and_publish(spark, settings, run_id, tables, progress)
    finally:  # a later run in this session must not be answered from this run's cached frames
        for df in tables.values():
            df.unpersist()


def _gate_and_publish(spark: SparkSession, settings: Settings, run_id: str, tables: dict[str, DataFrame],
                      progress=None) -> GoldResult:
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
        publish.publish(spark, settings, "gold", run_id, [GATE_RESULTS.fqn])  # the failure is served, nothing else
        raise gates.GateFailure(failed, run_id)
    for name, df in tables.items():
        result.snapshots[name] = io.overwrite(spark, settings, GOLD_TABLES[name], df)
        if progress:
            progress("gold", name)
    accuracy = aggregates.published_accuracy(spark, settings)
    if accuracy is not None:  # the served accuracy facts, summed with the DFU classes just rebuilt
        agg = aggregates.refresh(spark, settings, "gold", run_id, accuracy, progress)
        result.snapshots |= agg.snapshots
        result.rows |= agg.rows
        result.gates += agg.gates
    publish.publish(spark, settings, "gold", run_id)  # last step: every gold table becomes visible together
    result.published = True
    return result
