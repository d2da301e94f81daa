"""Pure validation transforms for silver: each row gets the first rule it fails, or none.

A rule is (name, failing-condition, detail). Conditions are evaluated in order, so a row is quarantined
under the most basic problem first (malformed before missing before bad value before unknown key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

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


def flag_duplicates(df: DataFrame, keys: Sequence[str], rule: str, order: Sequence[Column | str],
                    what: str) -> DataFrame:
    """Among rows still valid, keep the first per key (by ``order``) and flag the rest with ``rule``."""
    window = Window.partitionBy(F.col("_valid_group"), *keys).orderBy(*order)
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


# ---------------------------------------------------------------- plausibility (quality.plausibility in conf/)
BATCH_DATE = "_batch_date"
_BATCH_ID_DATE = r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:$|[^0-9])"


def batch_date() -> Column:
    """Return the delivery date of a row's batch: the date its id starts with (YYYY-MM-DD; YYYY-MM -> the month's
    last day; YYYY -> Dec 31), never later than the day the batch was landed (an id cannot vouch for the future)."""
    bid = F.col("_batch_id")
    y, m, d = (F.regexp_extract(bid, _BATCH_ID_DATE, i) for i in (1, 2, 3))
    day = F.when(d != "", F.to_date(F.concat_ws("-", y, m, d), "yyyy-MM-dd"))
    month = F.when((m != "") & (d == ""), F.last_day(F.to_date(F.concat_ws("-", y, m, F.lit("01")), "yyyy-MM-dd")))
    year = F.when((y != "") & (m == ""), F.to_date(F.concat(y, F.lit("-12-31")), "yyyy-MM-dd"))
    return F.least(F.coalesce(day, month, year), F.to_date(F.col("_ingested_at")))


def _shown(value: Column) -> Column:
    return F.coalesce(value.cast("string"), F.lit("<null>"))


def finite_rule(col: str, value: Column, shown: Column) -> Rule:
    """`non_finite`: the value parsed to NaN or +-infinity (e.g. `1e309`)."""
    v = value.cast("double")
    fails = v.isNotNull() & (F.isnan(v) | (F.abs(v) == F.lit(float("inf"))))
    return Rule("non_finite", fails, F.concat(F.lit(f"`{col}` is not a finite number: "), _shown(shown)))


def bounds_rule(col: str, value: Column, shown: Column, lo: float | None, hi: float | None, key: str) -> Rule:
    """`out_of_range`: the value lies outside [lo, hi] (None = unbounded), naming the config key of the bound."""
    v = value.cast("double")
    fails = F.lit(False)
    detail = F.lit(None).cast("string")
    if hi is not None:
        fails = fails | (v > F.lit(hi))
        detail = F.when(v > F.lit(hi), F.concat(F.lit(f"`{col}` = "), _shown(shown),
                                                  F.lit(f" is above the maximum {hi:g} ({key}.max)")))
    if lo is not None:
        fails = fails | (v < F.lit(lo))
        detail = F.when(v < F.lit(lo), F.concat(F.lit(f"`{col}` = "), _shown(shown),
                                                  F.lit(f" is below the minimum {lo:g} ({key}.min)"))).otherwise(detail)
    return Rule("out_of_range", fails, detail)


def date_rules(col: str, parsed: Column, not_before, max_days_after_batch: int | None, key: str) -> list[Rule]:
    """`date_before_history` (before ``not_before``) and `future_date` (after the batch date + the tolerance)."""
    rules = [Rule(
        "date_before_history", parsed < F.lit(not_before),
        F.concat(F.lit(f"`{col}` "), _shown(parsed), F.lit(f" is before the history start {not_before} ({key})")),
    )]
    if max_days_after_batch is not None:
        limit = F.date_add(F.col(BATCH_DATE), max_days_after_batch)
        rules.append(Rule(
            "future_date", parsed > limit,
            F.concat(F.lit(f"`{col}` "), _shown(parsed), F.lit(f" is more than {max_days_after_batch} days after its "
                                                               "batch date "), _shown(F.col(BATCH_DATE)),
                     F.lit(f" ({key}.max_days_after_batch)")),
        ))
    return rules


def length_rule(columns: Sequence[str], limits: dict[str, int], default: int) -> Rule:
    """`too_long`: a delivered text value longer than its contract's max_length (or ``default``)."""
    fails = F.lit(False)
    detail = F.lit(None).cast("string")
    for col in reversed(columns):
        limit = limits.get(col, default)
        long = F.length(F.col(col)) > limit
        fails = fails | long
        detail = F.when(long, F.concat(
            F.lit(f"`{col}` is "), F.length(F.col(col)).cast("string"), F.lit(f" characters long (limit {limit}): "),
            F.substring(F.col(col), 1, 40), F.lit("..."),
        )).otherwise(detail)
    return Rule("too_long", fails, detail)


def plausibility_rules(source: str, numbers: dict[str, tuple[Column, Column]], dates: dict[str, Column],
                       checks) -> list[Rule]:
    """Finite, bounds and date-range rules of one landing source, from ``checks`` (a PlausibilitySettings).

    ``numbers`` maps a column (as delivered, or derived like `revenue`) to (parsed value, value to show);
    ``dates`` maps a date column to its parsed value. Every number must be finite; bounds and date tolerances
    come from ``quality.plausibility.sources.<source>``. A configured column the source does not have is an error.
    """
    cfg = checks.sources.get(source)
    base = f"quality.plausibility.sources.{source}"
    if cfg is not None:
        unknown = sorted(set(cfg.bounds) - set(numbers)) + sorted(set(cfg.dates) - set(dates))
        if unknown:
            raise ValueError(f"{base}: no such numeric/date column(s) {unknown}; "
                             f"numbers: {sorted(numbers)}, dates: {sorted(dates)}")
    rules: list[Rule] = []
    for col, parsed in dates.items():
        bound = cfg.dates.get(col) if cfg else None
        not_before = (bound.not_before if bound else None) or checks.history_start
        key = f"{base}.dates.{col}" if bound and bound.not_before else "quality.plausibility.history_start"
        days = bound.max_days_after_batch if bound else None
        rules += date_rules(col, parsed, not_before, days, key)
    for col, (value, shown) in numbers.items():  # per column, in order: a derived value (revenue) comes last
        rules.append(finite_rule(col, value, shown))
        b = cfg.bounds.get(col) if cfg else None
        if b is not None and (b.min is not None or b.max is not None):
            rules.append(bounds_rule(col, value, shown, b.min, b.max, f"{base}.bounds.{col}"))
    return rules


def flag_vs_history(df: DataFrame, source: str, typed: dict[str, str], checks) -> DataFrame:
    """Among rows still valid, flag `implausible_vs_history` where a value exceeds N x its group's p99.

    ``typed`` maps a delivered column to the name of its parsed column. Groups with fewer than ``min_rows``
    valid rows are not judged; the p99 of a group is robust to the few outliers it judges.
    """
    cfg = checks.sources.get(source)
    for i, h in enumerate(cfg.history if cfg else ()):
        key = f"quality.plausibility.sources.{source}.history[{i}]"
        if h.column not in typed:
            raise ValueError(f"{key}: no numeric column {h.column!r}; known: {sorted(typed)}")
        value = F.col(typed[h.column])
        keys = [f"_h_{c}" for c in h.group_by]
        stats = (
            df.where(F.col("_rule").isNull())
            .groupBy(*[F.trim(F.col(c)).alias(k) for c, k in zip(h.group_by, keys, strict=True)])
            .agg(F.percentile_approx(value, 0.99, 10000).alias("_h_p99"), F.count(F.lit(1)).alias("_h_n"))
        )
        cond = reduce(lambda a, b: a & b, [F.trim(F.col(c)) == F.col(k) for c, k in zip(h.group_by, keys,
                                                                                        strict=True)])
        df = df.join(stats, cond, "left")
        bad = (F.col("_rule").isNull() & (F.col("_h_n") >= h.min_rows) & (F.col("_h_p99") > 0)
               & (value > F.col("_h_p99") * h.max_multiple_of_p99))
        detail = F.concat(
            F.lit(f"`{h.column}` = "), _shown(F.col(h.column)),
            F.lit(f" is more than {h.max_multiple_of_p99:g}x the p99 "), _shown(F.col("_h_p99")),
            F.lit(" of its "), F.col("_h_n").cast("string"),
            F.lit(f" accepted rows with the same {'|'.join(h.group_by)} ({key})"),
        )
        df = (df.withColumn("_detail", F.when(bad, detail).otherwise(F.col("_detail")))
              .withColumn("_rule", F.when(bad, F.lit("implausible_vs_history")).otherwise(F.col("_rule")))
              .drop(*keys, "_h_p99", "_h_n"))
    return df
