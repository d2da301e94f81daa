"""bronze.promo_plan -> silver.promo_plan: pure transforms (validation rules and typed rows), run by spark_jobs.silver.

Every plan version is kept (the as-of reads need them all); a row is quarantined under the first rule it fails:
malformed / missing field, ``bad_date`` (published_at), ``bad_month`` (promo_month), ``non_numeric_discount``,
``negative_discount``, ``discount_over_100``, ``bad_status`` (not planned|cancelled), ``promo_before_publish``
(promo_month earlier than the month of published_at), ``unknown_item``, then ``duplicate_row``: a second row
with the same plan_id and published_at (an exact re-send, or two versions of one plan on one day), first by
lineage kept.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.landing import PROMO_PLAN
from spark_jobs.silver_rules import (
    Rule,
    apply_rules,
    flag_duplicates,
    malformed_rule,
    missing_rule,
    parse_date,
    parse_double,
    parse_month,
    unknown_key_rule,
    value_rule,
)

LINEAGE_ORDER = ("_batch_id", "_source_file", "_row_number")
STATUSES = ("planned", "cancelled")


def validate_promo_plan(bronze: DataFrame, items: DataFrame) -> DataFrame:
    """Flag invalid plan rows; return bronze columns + typed columns + `_rule`/`_detail`."""
    df = (
        bronze.withColumn("_t_month", parse_month("promo_month"))
        .withColumn("_t_published", parse_date("published_at"))
        .withColumn("_t_discount", parse_double("discount_pct"))
        .withColumn("_t_status", F.lower(F.trim(F.col("status"))))
    )
    item_rule, item_keys = unknown_key_rule("unknown_item", "item_id", items, "item_id")
    df = df.join(F.broadcast(item_keys), F.trim(F.col("item_id")) == F.col("_k_item_id"), "left").drop("_k_item_id")
    rules = [
        malformed_rule(),
        missing_rule(PROMO_PLAN.required),
        value_rule("bad_date", "published_at", F.col("_t_published"), "a yyyy-MM-dd date"),
        value_rule("bad_month", "promo_month", F.col("_t_month"), "a yyyy-MM month"),
        value_rule("non_numeric_discount", "discount_pct", F.col("_t_discount"), "a number"),
        Rule("negative_discount", F.col("_t_discount") < 0,
             F.concat(F.lit("`discount_pct` is negative: "), F.col("discount_pct"))),
        Rule("discount_over_100", F.col("_t_discount") > 100,
             F.concat(F.lit("`discount_pct` is above 100 percent: "), F.col("discount_pct"))),
        Rule("bad_status", ~F.col("_t_status").isin(*STATUSES),
             F.concat(F.lit("`status` is not planned|cancelled: "), F.col("status"))),
        Rule("promo_before_publish", F.col("_t_month") < F.trunc(F.col("_t_published"), "month"),
             F.concat(F.lit("`promo_month` is before the month it was published: "),
                      F.concat_ws(" published ", "promo_month", "published_at"))),
        item_rule,
    ]
    flagged = apply_rules(df, rules).withColumn("_k_plan", F.trim(F.col("plan_id")))
    return flag_duplicates(
        flagged, ["_k_plan", "_t_published"], "duplicate_row", LINEAGE_ORDER, "plan version (plan_id|published_at)"
    )


def promo_plan_rows(flagged: DataFrame) -> DataFrame:
    """The accepted plan versions, typed (silver.promo_plan)."""
    return flagged.where(F.col("_rule").isNull()).select(
        F.col("_k_plan").alias("plan_id"),
        F.trim("item_id").alias("item_id"),
        F.col("_t_month").alias("promo_month"),
        F.col("_t_discount").alias("discount_pct"),
        F.col("_t_status").alias("status"),
        F.col("_t_published").alias("published_at"),
        "_batch_id",
        "_source_file",
        "_row_number",
    )
