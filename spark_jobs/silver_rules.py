"""Pure validation transforms for silver: each row gets the first rule it fails, or none.

A rule is (name, failing-condition, detail). Conditions are evaluated in order, so a row is quarantined
under the most basic problem first (malformed before missing before bad value before unknown key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

MIN_DATE = "2000-01-01"
MAX_DATE = "2099-12-31"


@dataclass(frozen=True)
class Rule:
    name: str
    fails: Column
    detail: Column


def blank(col: str) -> Column:
    return F.col(col).isNull() | (F.trim(F.col(col)) == "")


def parse_date(col: str) -> Column:
    """Strict ISO date (yyyy-MM-dd) within a plausible range, else null."""
    text = F.trim(F.col(col))
    # to_date only ever sees text already shaped yyyy-MM-dd: on anything else ('2024-03-01 00:00:00',
    # '2024-3-5') Spark's parser-upgrade check can raise instead of returning null.
    parsed = F.when(text.rlike(r"^\d{4}-\d{2}-\d{2}$"), F.to_date(text, "yyyy-MM-dd"))
    return F.when(parsed.between(F.lit(MIN_DATE), F.lit(MAX_DATE)), parsed)


def parse_month(col: str) -> Column:
    """Month given as yyyy-MM (or yyyy-MM-01) -> first day of month, else null."""
    text = F.trim(F.col(col))
    return F.when(
        text.rlike(r"^\d{4}-\d{2}(-01)?$"), F.to_date(F.concat(F.substring(text, 1, 7), F.lit("-01")), "yyyy-MM-dd")
    )


def parse_double(col: str) -> Column:
    text = F.trim(F.col(col))
    return F.when(text.rlike(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"), text.cast("double"))


def parse_int(col: str) -> Column:
    text = F.trim(F.col(col))
    return F.when(text.rlike(r"^[+-]?\d+(\.0+)?$"), text.cast("double").cast("long"))


def missing_rule(required: Sequence[str]) -> Rule:
    fails = F.lit(False)
    detail = F.lit(None).cast("string")
    for col in reversed(required):
        fails = fails | blank(col)
        detail = F.when(blank(col), F.lit(f"required field `{col}` is empty")).otherwise(detail)
    return Rule("missing_required", fails, detail)


def malformed_rule() -> Rule:
    return Rule(
        "malformed_row",
        F.col("_corrupt_record").isNotNull(),
        F.lit("row does not split into the header's columns (wrong field count or unbalanced quotes)"),
    )


def value_rule(name: str, col: str, parsed: Column, what: str, optional: bool = False) -> Rule:
    fails = parsed.isNull() & ~blank(col) if optional else parsed.isNull()
    return Rule(name, fails, F.concat(F.lit(f"`{col}` is not {what}: "), F.coalesce(F.col(col), F.lit("<null>"))))


def unknown_key_rule(
    name: str, col: str, known: DataFrame, known_col: str, optional: bool = False
) -> tuple[Rule, DataFrame]:
    """Return a rule flagging keys absent from ``known`` and the (broadcast) frame to left-join first."""
    flag = f"_known_{col}"
    keys = known.select(F.col(known_col).alias(f"_k_{col}")).distinct().withColumn(flag, F.lit(True))
    fails = F.col(flag).isNull() & ~blank(col) if optional else F.col(flag).isNull()
    rule = Rule(name, fails, F.concat(F.lit(f"`{col}` not in the master data: "), F.col(col)))
    return rule, keys


def apply_rules(df: DataFrame, rules: Sequence[Rule]) -> DataFrame:
    """Add `_rule` and `_detail` (both null for valid rows) naming the first failing rule."""
    rule = F.lit(None).cast("string")
    detail = F.lit(None).cast("string")
    for r in reversed(rules):
        rule = F.when(r.fails, F.lit(r.name)).otherwise(rule)
        detail = F.when(r.fails, r.detail).otherwise(detail)
    return df.withColumn("_rule", rule).withColumn("_detail", detail)


def flag_duplicates(df: DataFrame, keys: Sequence[str], rule: str, order: Sequence[Column], what: str) -> DataFrame:
    """Among rows still valid, keep the first per key (by ``order``) and flag the rest with ``rule``."""
    window = Window.partitionBy(*[F.col("_valid_group"), *keys]).orderBy(*order)
    df = df.withColumn("_valid_group", F.col("_rule").isNull())
    df = df.withColumn("_dup_rank", F.row_number().over(window))
    dup = F.col("_rule").isNull() & (F.col("_dup_rank") > 1)
    key_text = F.concat_ws("|", *[F.coalesce(F.col(k).cast("string"), F.lit("")) for k in keys])
    return (
        df.withColumn(
            "_detail", F.when(dup, F.concat(F.lit(f"{what} seen earlier: "), key_text)).otherwise(F.col("_detail"))
        )
        .withColumn("_rule", F.when(dup, F.lit(rule)).otherwise(F.col("_rule")))
        .drop("_valid_group", "_dup_rank")
    )


def quarantine_rows(df: DataFrame, source_table: str, landing_columns: Sequence[str]) -> DataFrame:
    """Project flagged rows to the silver.quarantine contract, raw payload as JSON of the landed strings."""
    payload = F.to_json(F.struct(*[F.col(c) for c in landing_columns], F.col("_corrupt_record")))
    return df.where(F.col("_rule").isNotNull()).select(
        F.lit(source_table).alias("source_table"),
        F.col("_batch_id").alias("batch_id"),
        F.col("_source_file").alias("source_file"),
        F.col("_row_number").alias("row_number"),
        F.col("_rule").alias("rule"),
        F.col("_detail").alias("detail"),
        payload.alias("raw_payload"),
    )
