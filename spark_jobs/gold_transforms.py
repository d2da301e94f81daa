"""Pure gold transforms: silver DataFrames in, gold DataFrames out (no I/O here)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakecast.dfu_classes import abc_case_sql, xyz_case_sql
from lakecast.lag import MAX_LAG
from spark_jobs.rows import one_row

CALENDAR_YEARS_AHEAD = 2  # forecasts reach past the last actual month


def dfu_id(item: str = "item_id", location: str = "location_id"):
    return F.concat_ws("|", F.col(item), F.col(location))


def dim_calendar(sales: DataFrame) -> DataFrame:
    bounds = sales.agg(F.min("sale_date").alias("lo"), F.max("sale_date").alias("hi")).first()
    if bounds is None or bounds["lo"] is None:
        raise ValueError("silver.sales_lines is empty: nothing to build a calendar from")
    lo = bounds["lo"].replace(month=1, day=1)
    hi = bounds["hi"].replace(year=bounds["hi"].year + CALENDAR_YEARS_AHEAD, month=12, day=31)
    days = sales.sparkSession.sql(
        f"SELECT explode(sequence(DATE'{lo.isoformat()}', DATE'{hi.isoformat()}', INTERVAL 1 DAY)) AS date"
    )
    return days.select(
        "date",
        F.date_trunc("week", "date").cast("date").alias("week_start"),
        F.trunc("date", "month").alias("month_start"),
        F.date_trunc("quarter", "date").cast("date").alias("quarter_start"),
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.weekofyear("date").alias("iso_week"),
        ((F.dayofweek("date") + 5) % 7 + 1).alias("day_of_week"),
    )


def fact_sales_monthly(sales: DataFrame) -> DataFrame:
    """Monthly units/revenue per DFU, zero-filled from each DFU's first sale month to the last month of data."""
    monthly = (
        sales.withColumn("month_start", F.trunc("sale_date", "month"))
        .groupBy("item_id", "location_id", "month_start")
        .agg(
            F.sum("qty").alias("qty"),
            F.sum(F.col("qty") * F.coalesce(F.col("unit_price"), F.lit(0.0))).alias("revenue"),
            F.count(F.lit(1)).alias("n_lines"),
            F.sum(F.when(F.col("promo_flag"), F.col("qty")).otherwise(0.0)).alias("promo_qty"),
        )
    )
    last_month = one_row(monthly.agg(F.max("month_start").alias("m")))["m"]
    spine = (
        monthly.groupBy("item_id", "location_id")
        .agg(F.min("month_start").alias("first_month"))
        .withColumn(
            "month_start",
            F.explode(F.sequence("first_month", F.lit(last_month), F.expr("INTERVAL 1 MONTH"))),
        )
        .drop("first_month")
    )
    return (
        spine.join(monthly, ["item_id", "location_id", "month_start"], "left")
        .fillna({"qty": 0.0, "revenue": 0.0, "n_lines": 0, "promo_qty": 0.0})
        .withColumn("avg_price", F.when(F.col("qty") > 0, F.col("revenue") / F.col("qty")))
        .withColumn("dfu_id", dfu_id())
        .select(
            "dfu_id", "item_id", "location_id", "month_start", "qty", "revenue", "n_lines", "promo_qty", "avg_price"
        )
    )


def abc_xyz(monthly: DataFrame) -> DataFrame:
    """ABC by cumulative share of the last 12 months' units, XYZ by CV of those months (rules: lakecast.dfu_classes)."""
    last_month = one_row(monthly.agg(F.max("month_start").alias("m")))["m"]
    recent = monthly.where(F.col("month_start") > F.add_months(F.lit(last_month), -12))
    stats = recent.groupBy("dfu_id").agg(
        F.sum("qty").alias("qty_12m"),
        F.avg("qty").alias("mean"),
        F.stddev_pop("qty").alias("std"),
    )
    total = one_row(stats.agg(F.sum("qty_12m")))[0] or 0.0
    order = Window.orderBy(F.desc("qty_12m"), "dfu_id").rowsBetween(Window.unboundedPreceding, -1)
    stats = stats.withColumn("_before", F.coalesce(F.sum("qty_12m").over(order), F.lit(0.0)) / F.lit(total or 1.0))
    stats = stats.withColumn("_cv", F.when(F.col("mean") > 0, F.col("std") / F.col("mean")))
    return stats.select(
        "dfu_id",
        F.col("qty_12m"),
        F.expr(abc_case_sql("_before", "qty_12m")).alias("abc_class"),
        F.expr(xyz_case_sql("_cv")).alias("xyz_class"),
    )


def dim_dfu(monthly: DataFrame, items: DataFrame, locations: DataFrame, clusters: DataFrame | None) -> DataFrame:
    last_month = one_row(monthly.agg(F.max("month_start").alias("m")))["m"]
    span = monthly.groupBy("dfu_id", "item_id", "location_id").agg(
        F.min("month_start").alias("first_month"),
        F.max(F.when(F.col("qty") > 0, F.col("month_start"))).alias("last_month"),
        F.count(F.lit(1)).alias("n_months"),
    )
    cur_items = items.where("is_current").select("item_id", "category", "brand", "supplier", "lead_time_days")
    cur_locs = locations.where("is_current").select("location_id", "region")
    lag = F.least(
        F.greatest(F.ceil(F.coalesce(F.col("lead_time_days"), F.lit(0)) / 30.0) - 1, F.lit(0)), F.lit(MAX_LAG)
    )
    out = (
        span.join(abc_xyz(monthly), "dfu_id", "left")
        .join(cur_items, "item_id", "left")
        .join(cur_locs, "location_id", "left")
        .withColumn("execution_lag", lag.cast("long"))
        .withColumn("last_month", F.coalesce("last_month", F.lit(last_month)))
        .fillna({"qty_12m": 0.0, "abc_class": "C", "xyz_class": "Z"})
    )
    if clusters is not None:
        out = out.join(clusters.select("dfu_id", "cluster_id", "cluster_label"), "dfu_id", "left")
    else:
        out = out.withColumn("cluster_id", F.lit(None).cast("long")).withColumn(
            "cluster_label", F.lit(None).cast("string")
        )
    return out


def fact_external_forecast(external: DataFrame, dfus: DataFrame) -> DataFrame:
    """Legacy forecast rows for known DFUs (pairs that never sold are not DFUs and are left out)."""
    return (
        external.withColumn("dfu_id", dfu_id())
        .join(dfus.select("dfu_id"), "dfu_id", "inner")
        .select("dfu_id", "item_id", "location_id", "fcst_origin", "target_month", "lag", "fcst_qty")
    )


def fact_promo_plan(plan: DataFrame) -> DataFrame:
    """Every accepted plan version (the as-of reads need them all: published_at <= d, latest per item-month)."""
    return plan.select("plan_id", "item_id", "promo_month", "discount_pct", "status", "published_at")


def weekly(sales: DataFrame, keys: list[str]) -> DataFrame:
    return (
        sales.withColumn("week_start", F.date_trunc("week", "sale_date").cast("date"))
        .groupBy(*keys, "week_start")
        .agg(
            F.sum("qty").alias("qty"),
            F.sum(F.col("qty") * F.coalesce(F.col("unit_price"), F.lit(0.0))).alias("revenue"),
            F.count(F.lit(1)).alias("n_lines"),
            F.countDistinct("item_id").alias("n_items"),
        )
    )
