"""Shared pieces of the analytics services: time windows, lags, DFU filters, pooled metrics, known values.

SQL is written once in the Trino dialect with ``?`` placeholders and run through the app's QueryEngine (DuckDB
transpiles it with sqlglot). Only identifiers from the whitelists in this package are ever formatted into SQL;
every value travels as a parameter.

Which accuracy rows a number pools (the one definition, used by every endpoint):

* table ``gold.fact_forecast_accuracy``, scenario ``backtest`` (every backtest forecast with an actual);
* one model (``model_id``) unless the endpoint is per model;
* the **lag**: ``execution`` (default) keeps each DFU's rows at its ``gold.dim_dfu.execution_lag``; ``0..4``
  keeps that lag; ``all`` pools every lag. At one lag there is exactly one forecast per DFU x target month (the
  one made at ``fcst_origin = target_month - lag - 1``, lakecast/lag.py), so no actual is counted twice;
* target months inside the **window**; DFUs matching the dimension **filters** (joined on ``gold.dim_dfu``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import LagChoice, Metrics, TimeWindow
from api.services import Invalid
from contracts.base import literal_values
from lakecast import kpi
from lakecast.lag import MAX_LAG, add_months, month_diff

ACCURACY = "gold.fact_forecast_accuracy"
DIM_DFU = "gold.dim_dfu"
#: Longest month range one request may cover.
MAX_RANGE_MONTHS = 60
#: Most values one multi-valued filter may carry.
MAX_FILTER_VALUES = 100
LAG_CHOICES = literal_values(LagChoice, (*(str(k) for k in range(MAX_LAG + 1)), "execution", "all"), "lag choices")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# ---------------------------------------------------------------------------------------------- windows
def parse_month(name: str, text: str) -> dt.date:
    """``YYYY-MM`` (or ``YYYY-MM-01``) -> first day of the month; 422 otherwise."""
    m = _MONTH_RE.match(text.removesuffix("-01") if len(text) == 10 else text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise Invalid(f"{name} must be a month as YYYY-MM, got {text!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def resolve_window(
    window: int | None, from_: str | None, to: str | None, anchor: dt.date, *, open_end: bool = False
) -> TimeWindow:
    """The month range of a request: ``window=N`` = the N months ending at ``anchor`` (the last month with
    actuals), or ``from``..``to`` inclusive. Exactly one form is required (422 with a message otherwise).

    ``open_end``: ``window=N`` leaves the end open (drilldown: forward forecasts after the anchor stay in).
    """
    if window is None and from_ is None and to is None:
        raise Invalid(
            "a time window is required: window=1..12 (the last N months of data, ending "
            f"{anchor:%Y-%m}) or from=YYYY-MM&to=YYYY-MM"
        )
    if window is not None:
        if from_ is not None or to is not None:
            raise Invalid("give either window or from/to, not both")
        start = add_months(anchor, -(window - 1))
        if open_end:
            return TimeWindow(from_month=start, to_month=None, months=None, anchor_month=anchor)
        return TimeWindow(from_month=start, to_month=anchor, months=window, anchor_month=anchor)
    if from_ is None or to is None:
        raise Invalid("from and to go together: give both (YYYY-MM), or window=1..12")
    start, end = parse_month("from", from_), parse_month("to", to)
    if end < start:
        raise Invalid(f"to ({end:%Y-%m}) is before from ({start:%Y-%m})")
    months = month_diff(end, start) + 1
    if months > MAX_RANGE_MONTHS:
        raise Invalid(f"the range covers {months} months; at most {MAX_RANGE_MONTHS} are allowed")
    return TimeWindow(from_month=start, to_month=end, months=months, anchor_month=anchor)


def window_sql(column: str, window: TimeWindow) -> tuple[str, list[Any]]:
    if window.to_month is None:
        return f"{column} >= ?", [window.from_month]
    return f"{column} BETWEEN ? AND ?", [window.from_month, window.to_month]


def accuracy_anchor(engine: ServingEngine) -> dt.date:
    """Last target month of the backtest accuracy facts (= last month with actuals that was backtested)."""

    def compute() -> dt.date:
        rows = engine.query(f"SELECT max(target_month) AS m FROM {ACCURACY} WHERE scenario_id = 'backtest'")
        if not rows or rows[0]["m"] is None:
            raise Invalid("gold.fact_forecast_accuracy has no backtest rows yet (run the forecast job)")
        return rows[0]["m"]

    engine.require(ACCURACY)
    return engine.cached(("accuracy_anchor",), compute)


# ---------------------------------------------------------------------------------------------- lags
@dataclass(frozen=True)
class LagSpec:
    """``execution`` | ``all`` | one lag 0..MAX_LAG."""

    text: str

    @classmethod
    def parse(cls, text: str | None, default: str = "execution") -> LagSpec:
        value = default if text is None else text.strip().lower()
        if value not in LAG_CHOICES:
            raise Invalid(f"lag must be one of {', '.join(LAG_CHOICES)}, got {text!r}")
        return cls(value)

    def sql(self, lag_col: str = "a.lag", dfu_alias: str = "d") -> tuple[str | None, list[Any]]:
        if self.text == "all":
            return None, []
        if self.text == "execution":
            return f"{lag_col} = {dfu_alias}.execution_lag", []
        return f"{lag_col} = ?", [int(self.text)]


# ---------------------------------------------------------------------------------------------- filters
#: filter name -> dim_dfu column (customer and cluster are special-cased below)
FILTER_COLUMNS: dict[str, str] = {
    "category": "category",
    "brand": "brand",
    "supplier": "supplier",
    "region": "region",
    "location": "location_id",
    "item": "item_id",
    "abc_class": "abc_class",
    "xyz_class": "xyz_class",
    "cluster": "cluster_id",
}


@dataclass(frozen=True)
class DfuFilters:
    """Dimension filters on DFUs (values within one dimension OR, across dimensions AND).

    ``customer`` keeps the DFUs at the locations that served the customer (gold.agg_loc_customer_week):
    forecasts are at item x location grain, so a customer maps to its serving locations.
    """

    values: dict[str, list[str]] = field(default_factory=dict)

    def applied(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.values.items() if v}

    def sql(self, alias: str = "d") -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for name, vals in self.applied().items():
            if len(vals) > MAX_FILTER_VALUES:
                raise Invalid(f"{name}: at most {MAX_FILTER_VALUES} values, got {len(vals)}")
            marks = ", ".join("?" for _ in vals)
            if name == "customer":
                clauses.append(
                    f"{alias}.location_id IN (SELECT location_id FROM gold.agg_loc_customer_week "
                    f"WHERE customer_id IN ({marks}))"
                )
                params.extend(vals)
            elif name == "cluster":
                try:
                    params.extend(int(v) for v in vals)
                except ValueError:
                    raise Invalid(f"cluster must be integer cluster ids, got {vals}") from None
                clauses.append(f"{alias}.cluster_id IN ({marks})")
            else:
                clauses.append(f"{alias}.{FILTER_COLUMNS[name]} IN ({marks})")
                params.extend(vals)
        return clauses, params


# ---------------------------------------------------------------------------------------------- metrics
def metric_columns(a: str = "a") -> str:
    """SELECT list of the sums every pooled metric is derived from (see :func:`metrics_from`)."""
    sums = kpi.sums_sql(f"{a}.abs_error", f"{a}.actual_qty", f"{a}.fcst_qty")
    return f"count(*) AS n_rows, count(DISTINCT {a}.dfu_id) AS n_dfus, " + ", ".join(
        f"{expr} AS {name}" for name, expr in sums.items())


def _f(value: Any) -> float:
    return 0.0 if value is None else float(value)


def metrics_from(row: dict[str, Any]) -> dict[str, Any]:
    """Pooled metrics from one row of :func:`metric_columns` sums (the definitions of :mod:`lakecast.kpi`)."""
    abs_actual, actual, forecast, abs_error = (_f(row.get(k)) for k in ("abs_actual", "actual_qty",
                                                                         "forecast_qty", "abs_error"))
    wape = kpi.wape(abs_error, abs_actual)
    ape_rows = int(row.get("ape_rows") or 0)
    return {
        "n_rows": int(row.get("n_rows") or 0),
        "n_dfus": int(row.get("n_dfus") or 0),
        "actual_qty": actual,
        "forecast_qty": forecast,
        "abs_error": abs_error,
        "wape": wape,
        "accuracy_pct": kpi.accuracy_pct(wape),
        "bias": kpi.bias(forecast, actual),
        "mape": kpi.mape(_f(row.get("ape_sum")), ape_rows),
    }


def empty_metrics() -> Metrics:
    return Metrics(**metrics_from({}))


# ---------------------------------------------------------------------------------------------- known values
def known_models(engine: ServingEngine) -> list[str]:
    """Model ids present in the backtest accuracy facts (incl. combo_mean, champion, ceiling, external)."""
    engine.require(ACCURACY)
    return engine.cached(("models",), lambda: [r["model_id"] for r in engine.query(
        f"SELECT DISTINCT model_id FROM {ACCURACY} WHERE scenario_id = 'backtest' ORDER BY model_id")])


def known_timeframes(engine: ServingEngine) -> list[str]:
    engine.require(ACCURACY)
    return engine.cached(("timeframes",), lambda: [r["timeframe"] for r in engine.query(
        f"SELECT DISTINCT timeframe FROM {ACCURACY} WHERE scenario_id = 'backtest' ORDER BY timeframe")])


def check_models(engine: ServingEngine, model_ids: list[str]) -> list[str]:
    known = known_models(engine)
    unknown = [m for m in model_ids if m not in known]
    if unknown:
        raise Invalid(f"unknown model_id {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return model_ids


def check_timeframes(engine: ServingEngine, timeframes: list[str]) -> list[str]:
    known = known_timeframes(engine)
    unknown = [t for t in timeframes if t not in known]
    if unknown:
        raise Invalid(f"unknown timeframe {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return timeframes


def in_list(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def where(clauses: list[str]) -> str:
    return " AND ".join(c for c in clauses if c) or "TRUE"
