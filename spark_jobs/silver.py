"""bronze.* -> silver.*: typed, validated, deduplicated; SCD2 masters; every rejected row quarantined.

Silver is recomputed from all of bronze on every run and written with one atomic overwrite per table, so a
re-run on the same bronze gives identical content; the tables are then published together (one run manifest,
spark_jobs/publish.py), so a run killed between two table commits leaves every silver table served as before.
Row accounting per batch (landed = accepted + quarantined) is appended to ops.batch_reconciliation as history:
a batch's rows there are never rewritten (spark_jobs/reconciliation.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.bronze import BRONZE_TABLES
from contracts.landing import SOURCES
from contracts.silver import BATCH_RECONCILIATION, SILVER_TABLES
from lakecast.settings import PlausibilitySettings, Settings
from spark_jobs import io, publish
from spark_jobs import reconciliation as rec
from spark_jobs.scd2 import scd2_from_snapshots
from spark_jobs.silver_promo_plan import promo_plan_rows, validate_promo_plan
from spark_jobs.silver_rules import (
    BATCH_DATE,
    Rule,
    apply_rules,
    batch_date,
    flag_duplicates,
    flag_vs_history,
    length_rule,
    malformed_rule,
    missing_rule,
    parse_date,
    parse_double,
    parse_int,
    parse_month,
    plausibility_rules,
    quarantine_rows,
    unknown_key_rule,
    value_rule,
)

LINEAGE_ORDER = ("_batch_id", "_source_file", "_row_number")


@dataclass(frozen=True)
class MasterConfig:
    source: str
    silver: str
    key: str
    text_attrs: tuple[str, ...]
    date_attrs: tuple[str, ...] = ()
    double_attrs: tuple[str, ...] = ()
    int_attrs: tuple[str, ...] = ()


MASTERS = (
    MasterConfig(
        "item_master",
        "item",
        "item_id",
        ("item_name", "brand", "category", "subcategory", "supplier", "uom"),
        date_attrs=("launch_date", "discontinue_date"),
        double_attrs=("unit_cost",),
        int_attrs=("lead_time_days",),
    ),
    MasterConfig("location_master", "location", "location_id", ("location_name", "location_type", "region", "country")),
    MasterConfig("customer_master", "customer", "customer_id", ("customer_name", "segment", "region")),
)


@dataclass
class SilverResult:
    rows: dict[str, int] = field(default_factory=dict)
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    reconciliation_events: int = 0  # rows appended to ops.batch_reconciliation by this run
    run_id: str = ""


def _bronze(spark: SparkSession, settings: Settings, source: str) -> DataFrame:
    return io.read(spark, settings, BRONZE_TABLES[source])


def _length_rule(source: str, silver_table: str, checks: PlausibilitySettings) -> Rule:
    """`too_long` over every delivered column, limits from the silver contract (one place: contracts/silver.py)."""
    return length_rule(SOURCES[source].columns, SILVER_TABLES[silver_table].max_lengths(), checks.default_max_length)


def validate_master(bronze: DataFrame, cfg: MasterConfig, checks: PlausibilitySettings | None = None) -> DataFrame:
    """Flag invalid master rows; return bronze columns + typed attributes + `_rule`/`_detail`."""
    checks = checks or PlausibilitySettings()
    source = SOURCES[cfg.source]
    rules: list[Rule] = [malformed_rule(), missing_rule(source.required), _length_rule(cfg.source, cfg.silver, checks)]
    typed = bronze.withColumn("_effective", parse_date("effective_date")).withColumn(BATCH_DATE, batch_date())
    rules.append(value_rule("bad_date", "effective_date", F.col("_effective"), "a yyyy-MM-dd date"))
    for c in cfg.date_attrs:
        typed = typed.withColumn(f"_t_{c}", parse_date(c))
        rules.append(value_rule("bad_date", c, F.col(f"_t_{c}"), "a yyyy-MM-dd date", optional=True))
    for c in cfg.double_attrs:
        typed = typed.withColumn(f"_t_{c}", parse_double(c))
        rules.append(value_rule("non_numeric", c, F.col(f"_t_{c}"), "a number", optional=True))
    for c in cfg.int_attrs:
        typed = typed.withColumn(f"_t_{c}", parse_int(c))
        rules.append(value_rule("non_numeric", c, F.col(f"_t_{c}"), "a whole number", optional=True))
    numbers = {c: (F.col(f"_t_{c}"), F.col(c)) for c in (*cfg.double_attrs, *cfg.int_attrs)}
    dates = {"effective_date": F.col("_effective"), **{c: F.col(f"_t_{c}") for c in cfg.date_attrs}}
    rules += plausibility_rules(cfg.source, numbers, dates, checks)
    flagged = apply_rules(typed, rules)
    return flag_duplicates(
        flagged, [cfg.key, "_effective"], "duplicate_key", LINEAGE_ORDER, f"{cfg.key} with the same effective_date"
    )


def build_master(valid: DataFrame, cfg: MasterConfig) -> DataFrame:
    """SCD2 history from the valid snapshot rows of one master."""
    cols = [F.trim(F.col(cfg.key)).alias(cfg.key)]
    cols += [F.when(~F.trim(F.col(c)).eqNullSafe(""), F.trim(F.col(c))).alias(c) for c in cfg.text_attrs]
    cols += [F.col(f"_t_{c}").alias(c) for c in (*cfg.date_attrs, *cfg.double_attrs, *cfg.int_attrs)]
    cols.append(F.col("_effective").alias("effective_date"))
    attrs = [*cfg.text_attrs, *cfg.date_attrs, *cfg.double_attrs, *cfg.int_attrs]
    return scd2_from_snapshots(valid.select(*cols), cfg.key, attrs)


def validate_sales(bronze: DataFrame, items: DataFrame, locations: DataFrame, customers: DataFrame,
                   checks: PlausibilitySettings | None = None) -> DataFrame:
    """Flag invalid sales lines; return bronze columns + typed columns + `_rule`/`_detail`."""
    checks = checks or PlausibilitySettings()
    src = SOURCES["sales_lines"]
    df = (
        bronze.withColumn(BATCH_DATE, batch_date())
        .withColumn("_t_sale_date", parse_date("sale_date"))
        .withColumn("_t_qty", parse_double("qty"))
        .withColumn("_t_unit_price", parse_double("unit_price"))
        .withColumn("_t_promo", F.lower(F.trim(F.col("promo_flag"))))
    )
    item_rule, item_keys = unknown_key_rule("unknown_item", "item_id", items, "item_id")
    loc_rule, loc_keys = unknown_key_rule("unknown_location", "location_id", locations, "location_id")
    cust_rule, cust_keys = unknown_key_rule("unknown_customer", "customer_id", customers, "customer_id", optional=True)
    for keys, col in ((item_keys, "item_id"), (loc_keys, "location_id"), (cust_keys, "customer_id")):
        df = df.join(F.broadcast(keys), F.trim(F.col(col)) == F.col(f"_k_{col}"), "left").drop(f"_k_{col}")
    promo_ok = F.col("_t_promo").isNull() | F.col("_t_promo").isin("", "0", "1", "true", "false", "0.0", "1.0")
    revenue = F.col("_t_qty") * F.coalesce(F.col("_t_unit_price"), F.lit(0.0))
    plausible = plausibility_rules(
        "sales_lines",
        {"qty": (F.col("_t_qty"), F.col("qty")), "unit_price": (F.col("_t_unit_price"), F.col("unit_price")),
         "revenue": (revenue, revenue)},
        {"sale_date": F.col("_t_sale_date")},
        checks,
    )
    rules = [
        malformed_rule(),
        missing_rule(src.required),
        _length_rule("sales_lines", "sales_lines", checks),
        value_rule("bad_date", "sale_date", F.col("_t_sale_date"), "a yyyy-MM-dd date"),
        value_rule("non_numeric_qty", "qty", F.col("_t_qty"), "a number"),
        Rule("negative_qty", F.col("_t_qty") < 0, F.concat(F.lit("`qty` is negative: "), F.col("qty"))),
        value_rule("non_numeric_price", "unit_price", F.col("_t_unit_price"), "a number", optional=True),
        Rule("bad_promo_flag", ~promo_ok, F.concat(F.lit("`promo_flag` is not 0/1: "), F.col("promo_flag"))),
        *plausible,
        item_rule,
        loc_rule,
        cust_rule,
    ]
    flagged = apply_rules(df, rules)
    flagged = flag_duplicates(flagged, ["line_id"], "duplicate_line", LINEAGE_ORDER, "line_id")
    return flag_vs_history(flagged, "sales_lines", {"qty": "_t_qty", "unit_price": "_t_unit_price"}, checks)


def sales_rows(flagged: DataFrame) -> DataFrame:
    valid = flagged.where(F.col("_rule").isNull())
    return valid.select(
        F.trim("line_id").alias("line_id"),
        F.col("_t_sale_date").alias("sale_date"),
        F.trim("item_id").alias("item_id"),
        F.trim("location_id").alias("location_id"),
        F.when(~F.trim(F.col("customer_id")).eqNullSafe(""), F.trim("customer_id")).alias("customer_id"),
        F.col("_t_qty").alias("qty"),
        F.col("_t_unit_price").alias("unit_price"),
        F.coalesce(F.col("_t_promo").isin("1", "true", "1.0"), F.lit(False)).alias("promo_flag"),
        "_batch_id",
        "_source_file",
        "_row_number",
    )


def validate_external(bronze: DataFrame, items: DataFrame, locations: DataFrame,
                      checks: PlausibilitySettings | None = None) -> DataFrame:
    checks = checks or PlausibilitySettings()
    src = SOURCES["external_forecast"]
    df = (
        bronze.withColumn(BATCH_DATE, batch_date())
        .withColumn("_t_origin", parse_month("fcst_origin"))
        .withColumn("_t_target", parse_month("target_month"))
        .withColumn("_t_lag", parse_int("lag"))
        .withColumn("_t_qty", parse_double("fcst_qty"))
    )
    item_rule, item_keys = unknown_key_rule("unknown_item", "item_id", items, "item_id")
    loc_rule, loc_keys = unknown_key_rule("unknown_location", "location_id", locations, "location_id")
    for keys, col in ((item_keys, "item_id"), (loc_keys, "location_id")):
        df = df.join(F.broadcast(keys), F.trim(F.col(col)) == F.col(f"_k_{col}"), "left").drop(f"_k_{col}")
    lag_ok = F.col("_t_lag").between(0, 4) & (
        F.col("_t_target") == F.add_months(F.col("_t_origin"), (F.col("_t_lag") + 1).cast("int"))
    )
    rules = [
        malformed_rule(),
        missing_rule(src.required),
        _length_rule("external_forecast", "external_forecast", checks),
        value_rule("bad_month", "fcst_origin", F.col("_t_origin"), "a yyyy-MM month"),
        value_rule("bad_month", "target_month", F.col("_t_target"), "a yyyy-MM month"),
        value_rule("non_numeric", "lag", F.col("_t_lag"), "a whole number"),
        value_rule("non_numeric_qty", "fcst_qty", F.col("_t_qty"), "a number"),
        Rule(
            "bad_lag",
            ~lag_ok,
            F.concat(
                F.lit("lag must be 0..4 with target_month = fcst_origin + lag + 1; got "),
                F.concat_ws(" / ", "fcst_origin", "target_month", "lag"),
            ),
        ),
        Rule("negative_qty", F.col("_t_qty") < 0, F.concat(F.lit("`fcst_qty` is negative: "), F.col("fcst_qty"))),
        *plausibility_rules("external_forecast", {"fcst_qty": (F.col("_t_qty"), F.col("fcst_qty"))},
                            {"fcst_origin": F.col("_t_origin"), "target_month": F.col("_t_target")}, checks),
        item_rule,
        loc_rule,
    ]
    flagged = apply_rules(df, rules)
    # The latest delivery of a forecast wins; earlier copies are quarantined as superseded.
    return flag_duplicates(
        flagged.withColumn("_k_item", F.trim("item_id")).withColumn("_k_loc", F.trim("location_id")),
        ["_k_item", "_k_loc", "_t_target", "_t_lag"],
        "duplicate_key",
        [F.desc(c) for c in LINEAGE_ORDER],
        "forecast (item|location|target|lag) superseded by a later delivery of",
    )


def external_rows(flagged: DataFrame) -> DataFrame:
    return flagged.where(F.col("_rule").isNull()).select(
        F.trim("item_id").alias("item_id"),
        F.trim("location_id").alias("location_id"),
        F.col("_t_origin").alias("fcst_origin"),
        F.col("_t_target").alias("target_month"),
        F.col("_t_lag").alias("lag"),
        F.col("_t_qty").alias("fcst_qty"),
        "_batch_id",
    )


def reconciliation(flagged: DataFrame, source_table: str) -> DataFrame:
    """Per batch: rows landed, accepted, quarantined and when bronze landed them (this run's accounting)."""
    return (
        flagged.groupBy(F.col("_batch_id").alias("batch_id"))
        .agg(
            F.count(F.lit(1)).alias("rows_landed"),
            F.sum(F.when(F.col("_rule").isNull(), 1).otherwise(0)).alias("rows_accepted"),
            F.sum(F.when(F.col("_rule").isNotNull(), 1).otherwise(0)).alias("rows_quarantined"),
            F.max("_ingested_at").alias("ingested_at"),
        )
        .withColumn("source_table", F.lit(source_table))
    )


def superseded_external(flagged: DataFrame) -> DataFrame:
    """(batch_id, other_batch, rows): external-forecast rows of a batch quarantined because a later batch's row
    for the same item x location x target x lag wins (duplicates within one batch are not supersessions)."""
    keys = ["_k_item", "_k_loc", "_t_target", "_t_lag"]
    winners = flagged.where(F.col("_rule").isNull()).select(*keys, F.col("_batch_id").alias("other_batch"))
    return (
        flagged.where(F.col("_rule") == "duplicate_key")
        .join(winners, keys)
        .where(F.col("other_batch") != F.col("_batch_id"))
        .groupBy(F.col("_batch_id").alias("batch_id"), "other_batch")
        .agg(F.count(F.lit(1)).alias("rows"))
    )


def _history(spark: SparkSession, settings: Settings) -> list[rec.Event]:
    """The recorded reconciliation events (a table of the earlier one-row-per-batch shape is replaced: it was
    recomputed on every run, so it held no history)."""
    if not io.exists(spark, settings, BATCH_RECONCILIATION):
        return []
    name = io.table_name(settings, BATCH_RECONCILIATION)
    if "seq" not in spark.table(name).columns:
        spark.sql(f"DROP TABLE {name}")
        return []
    return [rec.Event(**r.asDict()) for r in spark.table(name).collect()]


def record_reconciliation(spark: SparkSession, settings: Settings, counts: list[DataFrame],
                          superseded: dict[str, DataFrame]) -> int:
    """Append this run's reconciliation events (nothing when no batch's accounting moved); return rows added."""
    current = {(r.source_table, r.batch_id): rec.Count(r.rows_landed, r.rows_accepted, r.rows_quarantined,
                                                       r.ingested_at)
               for r in reduce(DataFrame.unionByName, counts).collect()}
    sup: dict[tuple[str, str], dict[str, int]] = {}
    for table, df in superseded.items():
        for r in df.collect():
            sup.setdefault((table, r.batch_id), {})[r.other_batch] = r.rows
    recorded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new = rec.events(_history(spark, settings), current, sup, recorded_at)
    if new:
        io.append(spark, settings, BATCH_RECONCILIATION,
                  spark.createDataFrame([e.as_row() for e in new], io.spark_schema(BATCH_RECONCILIATION)))
    else:
        io.ensure_table(spark, settings, BATCH_RECONCILIATION)
    return len(new)


def run(spark: SparkSession, settings: Settings, progress=None) -> SilverResult:
    """Rebuild every silver table from bronze; return row counts and quarantine counts by rule."""
    result = SilverResult(run_id=f"silver-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    publish.recover(spark, settings, "silver", progress)
    checks = settings.quality.plausibility
    quarantines: list[DataFrame] = []
    recon: list[DataFrame] = []
    masters: dict[str, DataFrame] = {}
    # Every persisted frame is unpersisted at the end: Spark would otherwise answer the next run's identical plan
    # over the same Iceberg table from this run's cache (a later silver run in one session saw stale bronze).
    persisted: list[DataFrame] = []
    for cfg in MASTERS:
        flagged = validate_master(_bronze(spark, settings, cfg.source), cfg, checks).persist()
        persisted.append(flagged)
        masters[cfg.silver] = build_master(flagged.where(F.col("_rule").isNull()), cfg)
        quarantines.append(quarantine_rows(flagged, f"bronze.{cfg.source}", SOURCES[cfg.source].columns))
        recon.append(reconciliation(flagged, f"bronze.{cfg.source}"))
        io.overwrite(spark, settings, SILVER_TABLES[cfg.silver], masters[cfg.silver])
        masters[cfg.silver] = io.read(spark, settings, SILVER_TABLES[cfg.silver])
        if progress:
            progress("silver", cfg.silver)

    sales = validate_sales(
        _bronze(spark, settings, "sales_lines"), masters["item"], masters["location"], masters["customer"], checks
    ).persist()
    io.overwrite(spark, settings, SILVER_TABLES["sales_lines"], sales_rows(sales))
    quarantines.append(quarantine_rows(sales, "bronze.sales_lines", SOURCES["sales_lines"].columns))
    recon.append(reconciliation(sales, "bronze.sales_lines"))
    if progress:
        progress("silver", "sales_lines")

    ext = validate_external(
        _bronze(spark, settings, "external_forecast"), masters["item"], masters["location"], checks
    ).persist()
    io.overwrite(spark, settings, SILVER_TABLES["external_forecast"], external_rows(ext))
    quarantines.append(quarantine_rows(ext, "bronze.external_forecast", SOURCES["external_forecast"].columns))
    recon.append(reconciliation(ext, "bronze.external_forecast"))

    plan = validate_promo_plan(_bronze(spark, settings, "promo_plan"), masters["item"]).persist()
    io.overwrite(spark, settings, SILVER_TABLES["promo_plan"], promo_plan_rows(plan))
    quarantines.append(quarantine_rows(plan, "bronze.promo_plan", SOURCES["promo_plan"].columns))
    recon.append(reconciliation(plan, "bronze.promo_plan"))

    io.overwrite(spark, settings, SILVER_TABLES["quarantine"], reduce(DataFrame.unionByName, quarantines))
    result.reconciliation_events = record_reconciliation(
        spark, settings, recon, {"bronze.external_forecast": superseded_external(ext)})
    for df in (sales, ext, plan, *persisted):
        df.unpersist()
    if progress:
        progress("silver", "quarantine")
    publish.publish(spark, settings, "silver", result.run_id)  # last step: every silver table visible together

    for name, spec in SILVER_TABLES.items():
        result.rows[name] = io.row_count(spark, settings, spec)
    for row in io.read(spark, settings, SILVER_TABLES["quarantine"]).groupBy("rule").count().collect():
        result.quarantined_by_rule[row["rule"]] = row["count"]
    return result
