"""Demand context briefing for one DFU: a short, generated summary from our own data (no web search).

Sections: trend (last 12 months vs the 12 before), seasonality (month-of-year profile), volatility (CV, XYZ,
zero months), promotions (share of units on promotion, uplift of promo months), forecast risk (champion,
its holdout WAPE, fallback, next 3 months vs the same months last year) and accuracy history (champion vs
legacy vs seasonal naive at the DFU's execution lag). Every number comes from a fixed query on the served gold
tables through the sandboxed chat executor; the DFU id is passed as a sqlglot-quoted literal.
"""

from __future__ import annotations

import calendar
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from lakecast import kpi
from lakecast.chat.executor import ChatExecutor
from lakecast.dfu_classes import xyz_class
from lakecast.lag import add_months

DFU_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\|[A-Za-z0-9_.\-]{1,64}$")


class BriefingError(ValueError):
    """Bad DFU id (400) or unknown DFU (``not_found`` -> 404)."""

    def __init__(self, message: str, *, not_found: bool = False):
        super().__init__(message)
        self.message = message
        self.not_found = not_found


@dataclass
class Section:
    title: str
    text: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Briefing:
    dfu_id: str
    item_id: str
    location_id: str
    headline: str
    sections: list[Section]
    sources: list[str]

    @property
    def summary(self) -> str:
        return " ".join(s.text for s in self.sections)


def _lit(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="trino")


def _pct(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}%"


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else 100.0 * (a / b - 1.0)


def _trend(hist: list[dict[str, Any]]) -> Section:
    qty = [float(r["qty"]) for r in hist]
    if len(qty) < 24:
        return Section("Trend", f"Only {len(qty)} months of history: too short for a year-over-year trend.",
                       {"months": len(qty)})
    last, prior = sum(qty[-12:]), sum(qty[-24:-12])
    change = _ratio(last, prior)
    word = "flat" if change is None or abs(change) < 5 else "growing" if change > 0 else "declining"
    text = (f"Demand is {word}: {last:,.0f} units in the last 12 months vs {prior:,.0f} in the 12 before "
            f"({_pct(change)}).")
    return Section("Trend", text, {"last_12m": last, "prior_12m": prior, "change_pct": change})


def _seasonality(hist: list[dict[str, Any]]) -> Section:
    by_month: dict[int, list[float]] = {}
    for r in hist:
        by_month.setdefault(r["month_start"].month, []).append(float(r["qty"]))
    if len(hist) < 24 or len(by_month) < 12:
        return Section("Seasonality", "Not enough history to read a seasonal pattern (needs 24 months).", {})
    profile = {m: statistics.fmean(v) for m, v in by_month.items()}
    mean = statistics.fmean(profile.values())
    if mean == 0:
        return Section("Seasonality", "No sales to read a seasonal pattern from.", {})
    index = {m: v / mean for m, v in profile.items()}
    peak, low = max(index, key=index.__getitem__), min(index, key=index.__getitem__)
    amplitude = index[peak] - index[low]
    strength = "strongly seasonal" if amplitude >= 1.0 else "seasonal" if amplitude >= 0.4 else "not very seasonal"
    return Section("Seasonality", f"It is {strength}: peaks in {calendar.month_abbr[peak]} (index {index[peak]:.2f}), "
                                  f"lowest in {calendar.month_abbr[low]} ({index[low]:.2f}).",
                   {"peak_month": peak, "low_month": low, "index": {calendar.month_abbr[m]: round(v, 3)
                                                                     for m, v in sorted(index.items())}})


def _volatility(hist: list[dict[str, Any]], dfu: dict[str, Any]) -> Section:
    window = [float(r["qty"]) for r in hist[-12:]]
    mean = statistics.fmean(window) if window else 0.0
    cv = statistics.pstdev(window) / mean if mean > 0 and len(window) > 1 else None
    zeros = sum(1 for q in window if q == 0)
    level = {"X": "low", "Y": "moderate", "Z": "high"}[xyz_class(cv)]  # the XYZ bounds, on this CV
    cv_text = "n/a" if cv is None else f"{cv:.2f}"
    return Section("Volatility", f"Volatility is {level} (CV {cv_text} over the last 12 months, XYZ class "
                                 f"{dfu['xyz_class']}, {zeros} months without sales).",
                   {"cv_12m": cv, "xyz_class": dfu["xyz_class"], "zero_months_12m": zeros})


def _promotions(hist: list[dict[str, Any]]) -> Section:
    recent = hist[-12:]
    qty = sum(float(r["qty"]) for r in recent)
    promo = sum(float(r["promo_qty"]) for r in recent)
    share = 100.0 * promo / qty if qty else 0.0
    with_promo = [float(r["qty"]) for r in hist[-24:] if float(r["promo_qty"]) > 0]
    without = [float(r["qty"]) for r in hist[-24:] if float(r["promo_qty"]) == 0]
    uplift = (_ratio(statistics.fmean(with_promo), statistics.fmean(without))
              if with_promo and without and statistics.fmean(without) > 0 else None)
    months = sum(1 for r in recent if float(r["promo_qty"]) > 0)
    text = f"Promotions: {share:.0f}% of the last 12 months' units were sold on promotion ({months} promo months)"
    text += f"; promo months sold {_pct(uplift)} vs other months." if uplift is not None else "."
    return Section("Promotions", text, {"promo_share_pct_12m": share, "promo_months_12m": months,
                                        "promo_month_uplift_pct": uplift})


def _risk(champ: dict[str, Any] | None, fwd: float | None, last_year: float | None, dfu: dict[str, Any]) -> Section:
    if champ is None:
        return Section("Forecast risk", "No model competition result for this DFU yet.", {})
    wape = champ["holdout_wape"]
    change = _ratio(fwd, last_year) if fwd is not None and last_year else None
    high = [why for cond, why in (((wape or 0) > 0.5, "holdout WAPE above 50%"),
                                  (dfu["xyz_class"] == "Z", "erratic demand (XYZ class Z)"),
                                  (bool(champ["is_fallback"]), "too little history to choose a model")) if cond]
    medium = [why for cond, why in (((wape or 0) > 0.3, "holdout WAPE above 30%"),
                                    (dfu["xyz_class"] == "Y", "variable demand (XYZ class Y)")) if cond]
    level = "high" if high else "medium" if medium else "low"
    reasons = high or medium
    text = (f"Forecast risk is {level}{' (' + ', '.join(reasons) + ')' if reasons else ''}: "
            f"champion {champ['champion_model_id']}"
            f"{' (fallback)' if champ['is_fallback'] else ''}, holdout WAPE "
            f"{'n/a' if wape is None else f'{100 * wape:.0f}%'}")
    if fwd is not None:
        text += f"; the next 3 months are forecast at {fwd:,.0f} units ({_pct(change)} vs the same months last year)"
    return Section("Forecast risk", text + ".", {"level": level, "champion_model_id": champ["champion_model_id"],
                                                 "holdout_wape": wape, "is_fallback": champ["is_fallback"],
                                                 "next_3m_forecast": fwd, "next_3m_vs_last_year_pct": change})


def _accuracy(rows: list[dict[str, Any]], lag: int) -> Section:
    if not rows:
        return Section("Accuracy history", "No backtest accuracy for this DFU yet.", {})
    acc = {r["model_id"]: r["accuracy_pct"] for r in rows}
    parts = [f"{m} {acc[m]:.0f}%" for m in ("champion", "external", "seasonal_naive") if acc.get(m) is not None]
    best = max((r for r in rows if r["accuracy_pct"] is not None and r["model_id"] not in ("ceiling", "champion")),
               key=lambda r: (r["accuracy_pct"], r["model_id"]), default=None)
    text = f"Accuracy at its execution lag {lag}: " + (", ".join(parts) or "n/a")
    if best is not None:
        text += f"; best backtest model {best['model_id']} ({best['accuracy_pct']:.0f}%)"
    return Section("Accuracy history", text + ".", {"lag": lag, "accuracy_pct": acc})


def build_briefing(executor: ChatExecutor, dfu_id: str) -> Briefing:
    """Return the briefing of ``dfu_id`` (``item|location``); raises BriefingError for a bad or unknown id."""
    if not DFU_ID.match(dfu_id or ""):
        raise BriefingError(f"dfu_id must look like ITEM|LOCATION (e.g. I000001|L0001), got {dfu_id!r}")
    key = _lit(dfu_id)
    dfus = executor.query(f"SELECT * FROM gold.dim_dfu WHERE dfu_id = {key}")
    if not dfus:
        raise BriefingError(f"unknown DFU {dfu_id}", not_found=True)
    dfu = dfus[0]
    hist = executor.query("SELECT month_start, qty, promo_qty FROM gold.fact_sales_monthly "
                          f"WHERE dfu_id = {key} ORDER BY month_start")
    champ = next(iter(_published(executor, "gold.champion_selection",
                                 f"SELECT * FROM gold.champion_selection WHERE dfu_id = {key}")), None)
    fwd_rows = _published(executor, "gold.fact_forecast",
                          "SELECT target_month, fcst_qty FROM gold.fact_forecast WHERE scenario_id = 'baseline' "
                          f"AND model_id = 'champion' AND dfu_id = {key} ORDER BY target_month LIMIT 3")
    fwd = sum(float(r["fcst_qty"]) for r in fwd_rows) if fwd_rows else None
    months = {add_months(r["target_month"], -12) for r in fwd_rows}
    last_year = sum(float(r["qty"]) for r in hist if r["month_start"] in months) if fwd_rows else None
    lag = int(dfu["execution_lag"])
    acc_sql = kpi.accuracy_pct_sql("abs_error", "actual_qty")
    acc_rows = _published(executor, "gold.fact_forecast_accuracy",
                          f"SELECT model_id, {acc_sql} AS accuracy_pct FROM gold.fact_forecast_accuracy "
                          f"WHERE dfu_id = {key} AND lag = {lag} GROUP BY model_id")
    sections = [_trend(hist), _seasonality(hist), _volatility(hist, dfu), _promotions(hist),
                _risk(champ, fwd, last_year, dfu), _accuracy(acc_rows, lag)]
    headline = (f"{dfu_id}: {dfu['category']} / {dfu['brand']} in {dfu['region']}, ABC {dfu['abc_class']}, "
                f"cluster '{dfu['cluster_label']}', {dfu['qty_12m']:,.0f} units in the last 12 months")
    sources = ["gold.dim_dfu", "gold.fact_sales_monthly", "gold.champion_selection", "gold.fact_forecast",
               "gold.fact_forecast_accuracy"]
    return Briefing(dfu_id, dfu["item_id"], dfu["location_id"], headline, sections, sources)


def _published(executor: ChatExecutor, table: str, sql: str) -> list[dict[str, Any]]:
    """Rows of a query over ``table``, or none while the table is not published (before the forecast job ran);
    an engine error on a published table raises."""
    return executor.query(sql) if executor.snapshot_id(table) is not None else []
