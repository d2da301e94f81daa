"""Result rows -> a short answer sentence and a suggested chart spec (line / bar / table)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from lakecast.chat.semantic import DIMENSIONS, METRICS

_TIME_COLUMNS = {d.column for d in DIMENSIONS.values() if d.is_time}
MAX_LISTED = 5


@dataclass(frozen=True)
class Chart:
    type: str  # line | bar | table
    x: str | None = None
    y: str | None = None
    series: str | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# columns whose numbers are labels, not quantities: a dimension's output column (year, lag, ...), an id, a
# year/month number a free SQL query computed (``EXTRACT(year FROM ...) AS sales_year``)
LABEL_COLUMNS = frozenset(d.column for d in DIMENSIONS.values()) | {"year", "month", "quarter", "lag", "period"}


def is_label_column(column: str) -> bool:
    c = column.lower()
    return (c in LABEL_COLUMNS or c.endswith(("_id", "_year", "_month", "_quarter", "_lag"))
            or c.startswith(("year_", "month_")))


def fmt(value: Any, column: str) -> str:
    """Format one value for a sentence: units with separators, percentages with one decimal; a year, month,
    lag or id is printed as it is (2025, not "2,025")."""
    if value is None:
        return "n/a"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}" if column in ("month", "quarter") else value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if is_label_column(column) and float(value).is_integer():
        return str(int(value))
    metric = METRICS.get(column)
    if metric is not None and metric.unit in ("%", "pp"):
        return f"{value:.1f}{' pp' if metric.unit == 'pp' else '%'}"
    if metric is not None and metric.unit == "currency":
        return f"{value:,.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def label(column: str) -> str:
    return METRICS[column].label if column in METRICS else column


def chart_for(columns: list[str], rows: list[tuple[Any, ...]], dims: list[str] | None = None,
              metrics: list[str] | None = None) -> Chart:
    """Suggest a chart: a time dimension -> line, one category -> bar, else a table."""
    if not rows or not columns:
        return Chart("table")
    if dims is None or metrics is None:  # free SQL: infer from the first row's types
        sample = rows[0]
        dims = [c for c, v in zip(columns, sample, strict=True)
                if not isinstance(v, int | float) or isinstance(v, bool)]
        metrics = [c for c in columns if c not in dims]
    if not dims or not metrics:
        return Chart("table")
    time = [d for d in dims if d in _TIME_COLUMNS or (rows and isinstance(rows[0][columns.index(d)], dt.date))]
    y = metrics[0]
    if time:
        others = [d for d in dims if d != time[0]]
        return Chart("line", time[0], y, others[0] if others else None, f"{label(y)} by {time[0]}")
    return Chart("bar", dims[0], y, dims[1] if len(dims) > 1 else None, f"{label(y)} by {dims[0]}")


def summarize(columns: list[str], rows: list[tuple[Any, ...]], dims: list[str], metrics: list[str],
              *, context: str, ordered: bool, top_n: int | None, truncated: bool) -> str:
    """One or two sentences that answer the question from the rows."""
    if not rows:
        return f"No rows matched ({context})."
    if not dims:
        values = ", ".join(f"{label(m)} {fmt(rows[0][columns.index(m)], m)}" for m in metrics)
        return f"{values} ({context})."
    y = metrics[0] if metrics else columns[-1]
    iy = columns.index(y)
    key_idx = [columns.index(d) for d in dims]

    def name(row: tuple[Any, ...]) -> str:
        return " / ".join(fmt(row[i], columns[i]) for i in key_idx)

    listed = "; ".join(f"{name(r)} {fmt(r[iy], y)}" for r in rows[:MAX_LISTED])
    more = f" (+{len(rows) - MAX_LISTED} more)" if len(rows) > MAX_LISTED else ""
    cut = " Result cut at the row limit." if truncated else ""
    if ordered:
        head = f"{'Top' if top_n else 'Ranked'} {len(rows)} by {label(y)}"
        return f"{head} ({context}): {listed}{more}.{cut}"
    return f"{label(y)} by {', '.join(dims)} ({context}): {listed}{more}.{cut}"
