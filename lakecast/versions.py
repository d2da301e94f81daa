"""Forecast versions: what a version is, which version of a cycle stands, and "as of cycle C". The one definition.

Every published forecast is kept as a *version* in ``gold.fact_forecast_version`` (appended, never overwritten):

* a **version** is the rows one job run published: the ``forecast`` job's baseline champion (scenario
  ``baseline``) or the ``final`` job's final forecast (scenario ``final``, with the override ids it folded);
  ``version_id`` is the job's ``run_id``;
* its **planning cycle** is the month of its forecast origin (the last month of actuals), as ``YYYY-MM``;
* within one (scenario, cycle) the version **published last** stands (``published_at``, then ``version_id``):
  a rerun in the same month replaces its predecessor for the waterfall and the as-of answers, and both stay kept;
* **as of cycle C**, per scenario, the standing version of the latest cycle ``<= C`` that has one is the
  forecast that was published then.

The waterfall (``gold.forecast_waterfall``) takes, for target month ``m`` at lag ``k``, the standing version of
cycle ``m - k - 1`` (lakecast/lag.py): the forecast published ``k + 1`` months ahead.

Readers: the Spark jobs (spark_jobs/versions.py) and the API (api/services/analytics/versions.py) render
:func:`standing_versions_sql` and :func:`as_of_versions_sql`; :func:`standing` and :func:`as_of` are the same rule
in Python (tests/test_versions_rule.py proves they agree on DuckDB; the jobs run the SQL on Spark). Pure Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from lakecast.lag import MAX_LAG

#: Scenarios kept as versions, and the ``gold.fact_forecast`` model each is taken from.
VERSION_MODELS: dict[str, str] = {"baseline": "champion", "final": "final"}
VERSION_SCENARIOS = tuple(VERSION_MODELS)
#: Lags the waterfall shows (0..MAX_LAG).
WATERFALL_LAGS = tuple(range(MAX_LAG + 1))
_CYCLE_RE = re.compile(r"^(\d{4})-(\d{2})$")


def cycle_of(fcst_origin: dt.date) -> str:
    """The planning cycle of a forecast origin: its month as ``YYYY-MM``."""
    return f"{fcst_origin:%Y-%m}"


def parse_cycle(text: str) -> str:
    """``YYYY-MM`` (a valid month) -> itself; ValueError with a readable message otherwise."""
    m = _CYCLE_RE.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise ValueError(f"a planning cycle is a month as YYYY-MM, got {text!r}")
    return text


def cycle_start(cycle: str) -> dt.date:
    """First day of the cycle's month."""
    parse_cycle(cycle)
    return dt.date(int(cycle[:4]), int(cycle[5:7]), 1)


def _rank_key(v: Mapping[str, Any]) -> tuple[Any, str]:
    return (v["published_at"], str(v["version_id"]))


def standing(versions: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """``(scenario_id, planning_cycle) -> version_id`` of the version published last in each cycle.

    ``versions``: one mapping per version (``version_id, scenario_id, planning_cycle, published_at``)."""
    best: dict[tuple[str, str], Mapping[str, Any]] = {}
    for v in versions:
        key = (str(v["scenario_id"]), str(v["planning_cycle"]))
        if key not in best or _rank_key(v) > _rank_key(best[key]):
            best[key] = v
    return {k: str(v["version_id"]) for k, v in best.items()}


def as_of(versions: Iterable[Mapping[str, Any]], cycle: str) -> dict[str, str]:
    """``scenario_id -> version_id`` published as of ``cycle``: the standing version of the latest cycle <= it."""
    parse_cycle(cycle)
    out: dict[str, tuple[str, str]] = {}
    for (scenario, cyc), vid in standing(versions).items():
        if cyc <= cycle and (scenario not in out or cyc > out[scenario][0]):
            out[scenario] = (cyc, vid)
    return {s: vid for s, (_, vid) in out.items()}


def retained_cycles(cycles: Iterable[str], retain: int | None) -> set[str]:
    """The cycles a retention of ``retain`` newest cycles keeps (every cycle when ``retain`` is None)."""
    ordered = sorted(set(cycles))
    return set(ordered if retain is None else ordered[-retain:])


# ---------------------------------------------------------------------------------------------- SQL
# ``table`` is a table name of the caller (an identifier, never a value). Trino dialect; valid in Spark and DuckDB.
def standing_versions_sql(table: str) -> str:
    """SELECT of ``scenario_id, planning_cycle, version_id, fcst_origin, published_at`` of each standing version."""
    return (
        "SELECT scenario_id, planning_cycle, version_id, fcst_origin, published_at FROM ("
        "SELECT scenario_id, planning_cycle, version_id, fcst_origin, published_at, row_number() OVER ("
        "PARTITION BY scenario_id, planning_cycle ORDER BY published_at DESC, version_id DESC) AS _rank FROM ("
        f"SELECT DISTINCT scenario_id, planning_cycle, version_id, fcst_origin, published_at FROM {table}) _v"
        ") _r WHERE _rank = 1"
    )


def as_of_versions_sql(table: str, cycle_param: str = "?") -> str:
    """SELECT of the standing version per scenario as of the cycle bound to ``cycle_param`` (same columns)."""
    return (
        "SELECT scenario_id, planning_cycle, version_id, fcst_origin, published_at FROM ("
        "SELECT s.*, row_number() OVER (PARTITION BY scenario_id ORDER BY planning_cycle DESC) AS _latest FROM ("
        f"{standing_versions_sql(table)}) s WHERE planning_cycle <= {cycle_param}) _a WHERE _latest = 1"
    )
