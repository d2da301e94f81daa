"""The final forecast's fold rule: approved overrides folded into the baseline champion. The one definition.

The final forecast is the statistical forecast (``gold.fact_forecast`` scenario ``baseline``, model
``champion``) with every approved planner override folded in:

* only overrides with status ``approved`` (:data:`FOLDED_STATUS`) count: drafts, submitted, rejected and
  withdrawn ones are never read;
* an override covers one DFU over ``start_month..end_month`` (inclusive); several approved overrides on one
  DFU-month: the one **decided last** wins (``decided_at``, then ``id``);
* the winner's ``new_qty`` replaces the statistical quantity, or its ``pct_change`` scales it:
  ``stat x (1 + pct_change / 100)``. A percentage always applies to the statistical value, never on top of
  another override;
* a folded row becomes scenario/model ``final``, ``algorithm_id = 'override'``, ``override_id`` = the winner's
  id, and loses the statistical prediction interval (it no longer describes the quantity); every other row
  keeps the champion's quantity, family and interval.

Two readers apply it, so it is written for both: the Spark ``final`` job (spark_jobs/final.py, which
materialises scenario ``final`` in Iceberg for history) renders :func:`fold_qty_sql` and :func:`folded_sql`
into its projection; the API (api/services/final.py) folds the approved overrides it reads from Postgres into
the served baseline champion rows at read time with :func:`fold_row`. tests/test_final_rule.py proves the
Python and the SQL agree (DuckDB and Spark SQL), and tests/api_analytics/test_final_overlay.py that the API
serves what the Spark job writes. Pure Python: importable from every layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lakecast.lag import add_months

SCENARIO = MODEL = "final"
SOURCE_SCENARIO, SOURCE_MODEL = "baseline", "champion"
OVERRIDE_ALGORITHM = "override"
#: The only override status the fold reads.
FOLDED_STATUS = "approved"
#: Columns of the statistical prediction interval, dropped (null) on a folded row.
INTERVAL_COLUMNS = ("fcst_lo_80", "fcst_hi_80", "fcst_lo_95", "fcst_hi_95")

Key = tuple[str, dt.date]  # (dfu_id, target_month)


@dataclass(frozen=True)
class Adjustment:
    """The override that wins one DFU-month: exactly one of ``new_qty`` (units) or ``pct_change`` (percent)."""

    override_id: str
    new_qty: float | None
    pct_change: float | None


def winning_overrides(overrides: Iterable[Mapping[str, Any]]) -> dict[Key, Adjustment]:
    """``(dfu_id, target_month) -> Adjustment`` of the approved override decided last on each covered month.

    ``overrides`` are override rows (``id, dfu_id, start_month, end_month, new_qty, pct_change, status,
    decided_at``), in any order; rows whose status is not :data:`FOLDED_STATUS` are ignored.
    """
    approved = [o for o in overrides if o["status"] == FOLDED_STATUS]
    approved.sort(key=lambda o: (o["decided_at"], int(o["id"])))
    winners: dict[Key, Adjustment] = {}
    for o in approved:
        adj = Adjustment(str(o["id"]), _opt(o["new_qty"]), _opt(o["pct_change"]))
        for month in covered_months(o["start_month"], o["end_month"]):
            winners[(o["dfu_id"], month)] = adj
    return winners


def covered_months(start_month: dt.date, end_month: dt.date) -> list[dt.date]:
    """The months an override covers: ``start_month..end_month``, inclusive, first-of-month dates."""
    months, month = [], start_month
    while month <= end_month:
        months.append(month)
        month = add_months(month, 1)
    return months


def fold_qty(stat_qty: float, adjustment: Adjustment | None) -> float:
    """The final quantity of one DFU-month: ``new_qty``, or ``stat_qty x (1 + pct_change / 100)``, or ``stat_qty``."""
    if adjustment is None:
        return float(stat_qty)
    if adjustment.new_qty is not None:
        return float(adjustment.new_qty)
    if adjustment.pct_change is not None:
        return float(stat_qty) * (1.0 + float(adjustment.pct_change) / 100.0)
    return float(stat_qty)


def fold_row(row: Mapping[str, Any], adjustment: Adjustment | None, run_id: str | None = None) -> dict[str, Any]:
    """A baseline champion row of ``gold.fact_forecast`` as a final row (``run_id`` replaced when given)."""
    out = dict(row)
    out.update(scenario_id=SCENARIO, model_id=MODEL, fcst_qty=fold_qty(row["fcst_qty"], adjustment))
    if run_id is not None:
        out["run_id"] = run_id
    if adjustment is None:
        out["override_id"] = None
    else:
        out.update(algorithm_id=OVERRIDE_ALGORITHM, override_id=adjustment.override_id,
                   **dict.fromkeys(INTERVAL_COLUMNS))
    return out


# ---------------------------------------------------------------------------------------------- SQL
# Arguments are column expressions of the caller's query (identifiers only, never values).
def fold_qty_sql(stat_qty: str, new_qty: str, pct_change: str) -> str:
    """SQL of :func:`fold_qty` over the joined winner's columns (NULL when no override won): Spark, DuckDB, Trino."""
    return (f"(CASE WHEN {new_qty} IS NOT NULL THEN CAST({new_qty} AS DOUBLE) "
            f"WHEN {pct_change} IS NOT NULL THEN {stat_qty} * (1.0 + CAST({pct_change} AS DOUBLE) / 100.0) "
            f"ELSE CAST({stat_qty} AS DOUBLE) END)")


def folded_sql(override_id: str) -> str:
    """SQL predicate: the row was folded (an override won its DFU-month)."""
    return f"({override_id} IS NOT NULL)"


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)
