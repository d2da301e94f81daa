"""Quality gates run before a gold publish: not-null, unique key, referential integrity, row-count drift."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from contracts.base import TableSpec


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
    """A gate failed, so the gold publish was blocked; the previous snapshot keeps serving."""

    def __init__(self, failed: list[GateOutcome]):
        lines = [f"  - {g.table_name} {g.gate}({g.column_name or ''}): {g.detail}" for g in failed]
        super().__init__(
            "quality gates failed; gold publish blocked, previous snapshot keeps serving:\n" + "\n".join(lines)
        )
        self.failed = failed


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


def result_rows(run_id: str, outcomes: list[GateOutcome], checked_at: dt.datetime) -> list[tuple]:
    return [
        (run_id, g.table_name, g.gate, g.column_name, g.passed, g.observed, g.threshold, g.detail, checked_at)
        for g in outcomes
    ]
