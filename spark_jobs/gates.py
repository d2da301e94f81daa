"""Quality gates run before a gold publish: not-null, unique key, referential integrity, row-count drift,
finite and in-range numbers, calendar span."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.base import TableSpec
from spark_jobs.rows import one_row


@dataclass(frozen=True)
class GateOutcome:
    table_name: str
    gate: str
    column_name: str | None
    passed: bool
    observed: float | None
    threshold: float | None
    detail: str


class GateFailure(RuntimeError):
    """A gate failed, so the job's publish was blocked; the previous snapshot keeps serving.

    ``run_id`` is the blocked run's id (its rows in ops.gate_results)."""

    def __init__(self, failed: list[GateOutcome], run_id: str | None = None):
        lines = [f"  - {g.table_name} {g.gate}({g.column_name or ''}): {g.detail}" for g in failed]
        super().__init__(
            (f"quality gates failed in run {run_id}; " if run_id else "quality gates failed; ")
            + "publish blocked, previous snapshot keeps serving:\n" + "\n".join(lines)
        )
        self.failed = failed
        self.run_id = run_id


def not_null(spec: TableSpec, df: DataFrame) -> GateOutcome:
    cols = spec.required_columns()
    cond = F.lit(False)
    for c in cols:
        cond = cond | F.col(c).isNull()
    bad = df.where(cond).count()
    return GateOutcome(
        spec.fqn, "not_null", ",".join(cols), bad == 0, float(bad), 0.0, f"{bad} rows with a null in a required column"
    )


def unique_key(spec: TableSpec, df: DataFrame) -> GateOutcome:
    keys = list(spec.primary_key)
    dups = df.groupBy(*keys).count().where("count > 1").count()
    return GateOutcome(
        spec.fqn, "unique_key", ",".join(keys), dups == 0, float(dups), 0.0, f"{dups} key values appear more than once"
    )


def referential(
    spec: TableSpec, df: DataFrame, column: str, parent: DataFrame, parent_col: str, ref: str
) -> GateOutcome:
    keys = parent.select(F.col(parent_col).alias("_pk")).distinct()
    orphans = (
        df.select(column)
        .where(F.col(column).isNotNull())
        .distinct()
        .join(keys, F.col(column) == F.col("_pk"), "left_anti")
        .count()
    )
    return GateOutcome(
        spec.fqn,
        "referential_integrity",
        column,
        orphans == 0,
        float(orphans),
        0.0,
        f"{orphans} distinct {column} values missing from {ref}",
    )


NUMERIC_TYPES = ("double", "float", "bigint", "int", "smallint", "tinyint")


def finite_and_bounded(spec: TableSpec, df: DataFrame, max_abs: float) -> list[GateOutcome]:
    """Two gates over every numeric column: `finite` (no NaN / +-inf) and `value_range` (|x| <= max_abs and the
    contract's ge/le bounds). Their detail names each offending column with its count and an example value."""
    numeric = [f for f in df.schema.fields if f.dataType.simpleString() in NUMERIC_TYPES]
    cols = ",".join(f.name for f in numeric)
    if not numeric:
        return []
    bounds = spec.numeric_bounds()
    aggs = []
    for f in numeric:
        v = F.col(f"`{f.name}`").cast("double")
        non_finite = F.isnan(v) | (F.abs(v) == F.lit(float("inf")))
        lo, hi = bounds.get(f.name, (None, None))
        out = ~non_finite & (F.abs(v) > F.lit(max_abs))
        if lo is not None:
            out = out | (~non_finite & (v < F.lit(lo)))
        if hi is not None:
            out = out | (~non_finite & (v > F.lit(hi)))
        aggs += [
            F.sum(F.when(non_finite, 1).otherwise(0)).alias(f"nf_{f.name}"),
            F.first(F.when(non_finite, v), ignorenulls=True).alias(f"nfx_{f.name}"),
            F.sum(F.when(out, 1).otherwise(0)).alias(f"or_{f.name}"),
            F.first(F.when(out, v), ignorenulls=True).alias(f"orx_{f.name}"),
        ]
    row = one_row(df.agg(*aggs))

    def outcome(gate: str, prefix: str, what: str, threshold: float) -> GateOutcome:
        bad = {f.name: (row[f"{prefix}_{f.name}"] or 0, row[f"{prefix}x_{f.name}"]) for f in numeric}
        bad = {c: v for c, v in bad.items() if v[0]}
        total = sum(n for n, _ in bad.values())
        detail = ("; ".join(f"{c}: {n} rows (e.g. {x!r})" for c, (n, x) in bad.items()) + f" {what}") if bad else (
            f"every value of {len(numeric)} numeric columns {'is finite' if gate == 'finite' else 'is in range'}")
        return GateOutcome(spec.fqn, gate, cols, total == 0, float(total), threshold, detail)

    ranges = ", ".join(f"{c} in [{lo}, {hi}]" for c, (lo, hi) in bounds.items())
    return [
        outcome("finite", "nf", "are NaN or infinite", 0.0),
        outcome("value_range", "or", f"exceed |x| <= {max_abs:g}" + (f" or {ranges}" if ranges else ""), max_abs),
    ]


def calendar_span(spec: TableSpec, df: DataFrame, earliest: dt.date, latest: dt.date) -> GateOutcome:
    """`calendar_span`: every day of the calendar lies in [earliest, latest] (a stray date balloons it)."""
    lo, hi, n = one_row(df.agg(F.min("date"), F.max("date"), F.count(F.lit(1))))
    ok = lo is None or (lo >= earliest and hi <= latest)
    detail = (f"calendar {lo} .. {hi} ({n:,} days), allowed {earliest} .. {latest}"
              + ("" if ok else ": a sales date outside the plausible range stretched it (see silver.sales_lines)"))
    return GateOutcome(spec.fqn, "calendar_span", "date", ok, float(n or 0), float((latest - earliest).days + 1),
                       detail)


def row_count_drift(spec: TableSpec, new_rows: int, old_rows: int | None, max_drift: float) -> GateOutcome:
    if not old_rows:
        return GateOutcome(
            spec.fqn,
            "row_count_drift",
            None,
            True,
            None,
            max_drift,
            f"first publish ({new_rows} rows): no previous snapshot to compare",
        )
    drift = abs(new_rows - old_rows) / old_rows
    return GateOutcome(
        spec.fqn,
        "row_count_drift",
        None,
        drift <= max_drift,
        round(drift, 6),
        max_drift,
        f"{old_rows} -> {new_rows} rows ({drift:.1%} change, limit {max_drift:.0%})",
    )


def with_cause(outcome: GateOutcome, cause: str) -> GateOutcome:
    """Return the outcome with ``cause`` (e.g. the batches behind a drift) appended to its detail."""
    return dataclasses.replace(outcome, detail=f"{outcome.detail}; {cause}" if cause else outcome.detail)


def period_changes(new: DataFrame, old: DataFrame, column: str) -> list[tuple[int, int, int]]:
    """Return every year of ``column`` whose row count differs between old and new as (year, old, new),
    the largest move first."""
    def by_year(df: DataFrame) -> dict[int, int]:
        rows = df.where(F.col(column).isNotNull()).groupBy(F.year(column).alias("y")).count().collect()
        return {r["y"]: r["count"] for r in rows}

    o, n = by_year(old), by_year(new)
    years = sorted(set(o) | set(n), key=lambda y: (-abs(n.get(y, 0) - o.get(y, 0)), y))
    return [(y, o.get(y, 0), n.get(y, 0)) for y in years if n.get(y, 0) != o.get(y, 0)]


def result_rows(run_id: str, outcomes: list[GateOutcome], checked_at: dt.datetime) -> list[tuple]:
    return [
        (run_id, g.table_name, g.gate, g.column_name, g.passed, g.observed, g.threshold, g.detail, checked_at)
        for g in outcomes
    ]
