"""The one definition of forecast lag used everywhere in Lakecast.

A forecast for target month ``m`` at lag ``k`` is made with data up to and including month ``m - k - 1``.
That last visible month is the forecast's ``fcst_origin`` (Nixtla calls it the cutoff). So lag 0 is the
one-step-ahead forecast, and ``target_month = fcst_origin + (lag + 1) months``.
"""

from __future__ import annotations

import datetime as dt

MAX_LAG = 4


def add_months(month: dt.date, n: int) -> dt.date:
    """Return the first day of the month ``n`` months after ``month`` (negative n goes back)."""
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_diff(later: dt.date, earlier: dt.date) -> int:
    """Return the number of whole months from ``earlier`` to ``later`` (both taken at month start)."""
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def target_month(fcst_origin: dt.date, lag: int) -> dt.date:
    """Return the month forecast at ``lag`` from an origin whose last visible month is ``fcst_origin``."""
    if lag < 0:
        raise ValueError(f"lag must be >= 0, got {lag}")
    return add_months(fcst_origin, lag + 1)


def origin_for(target: dt.date, lag: int) -> dt.date:
    """Return the last month of data visible to a lag-``lag`` forecast of ``target``."""
    if lag < 0:
        raise ValueError(f"lag must be >= 0, got {lag}")
    return add_months(target, -(lag + 1))


def lag_of(fcst_origin: dt.date, target: dt.date) -> int:
    """Return the lag of a forecast of ``target`` made at ``fcst_origin``; raises if target is not after it."""
    lag = month_diff(target, fcst_origin) - 1
    if lag < 0:
        raise ValueError(f"target {target} is not after origin {fcst_origin}")
    return lag
