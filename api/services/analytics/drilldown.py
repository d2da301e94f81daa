"""One DFU in full (``/dfus/{dfu_id}``): actuals, the legacy forecast, every model's backtest and forward
forecasts, the champion, the final forecast and the DFU's overrides from the app database.

The final series is the baseline champion with the approved overrides of this moment folded in
(api/services/final.py), not the ``final`` rows the last final job materialised: an approval or a withdrawal
shows on the next request.

Window: ``window=N`` shows the last N months of actuals and backtests and the whole forward forecast (bounded
by the forecast horizon); ``from``/``to`` restricts every series to those months. The backtest and legacy series
are at one lag (default: the DFU's execution lag), so each has one point per target month. Backtest, baseline and
final points carry the 80/95% prediction interval of ``gold.fact_forecast`` (null where a row has none; the
legacy forecast has none).

``as_of_cycle=YYYY-MM``: the baseline (champion) and final series are the versions published as of that planning
cycle (``gold.fact_forecast_version``, lakecast/versions.py) instead of the current forecast and today's overrides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import (
    ActualPoint,
    ChampionInfo,
    DfuInfo,
    DrilldownResponse,
    ForecastPoint,
    ForecastSeries,
    TimeWindow,
)
from api.services import NotFound
from api.services import final as final_svc
from api.services.analytics import versions as versions_svc
from api.services.analytics.common import DIM_DFU, LagSpec, window_sql
from api.services.overrides import list_overrides
from lakecast.appdb.db import Conn

SALES = "gold.fact_sales_monthly"
FORECAST = "gold.fact_forecast"
EXTERNAL = "gold.fact_external_forecast_monthly"
CHAMPIONS = "gold.champion_selection"
MAX_OVERRIDES = 500


def sales_anchor(engine: ServingEngine) -> dt.date:
    """Last month with actuals (gold.fact_sales_monthly)."""
    engine.require(SALES)

    def compute() -> dt.date:
        rows = engine.query(f"SELECT max(month_start) AS m FROM {SALES}")
        if not rows or rows[0]["m"] is None:
            raise NotFound("gold.fact_sales_monthly is empty (run the pipeline)")
        return rows[0]["m"]

    return engine.cached(("sales_anchor",), compute)


def dfu_info(engine: ServingEngine, dfu_id: str) -> dict[str, Any]:
    """The DFU's dim_dfu row with item and location names; 404 if unknown."""
    engine.require(DIM_DFU)
    rows = engine.query(
        f"SELECT d.*, i.item_name, l.location_name FROM {DIM_DFU} d "
        "LEFT JOIN gold.dim_item i ON i.item_id = d.item_id AND i.is_current "
        "LEFT JOIN gold.dim_location l ON l.location_id = d.location_id AND l.is_current "
        "WHERE d.dfu_id = ?",
        [dfu_id],
    )
    if not rows:
        raise NotFound(f"DFU {dfu_id!r} not found (a DFU id is item_id|location_id, see /meta/search)")
    return rows[0]


def _lag_value(lag: LagSpec, dfu: dict[str, Any]) -> int | None:
    if lag.text == "all":
        return None
    return int(dfu["execution_lag"]) if lag.text == "execution" else int(lag.text)


INTERVALS = ("fcst_lo_80", "fcst_hi_80", "fcst_lo_95", "fcst_hi_95")


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _points(rows: list[dict[str, Any]]) -> list[ForecastPoint]:
    return [ForecastPoint(target_month=r["target_month"], fcst_origin=r["fcst_origin"], lag=int(r["lag"]),
                          timeframe=r.get("timeframe") or "", fcst_qty=float(r["fcst_qty"]),
                          source_model_id=r.get("source_model_id"), override_id=r.get("override_id"),
                          **{c: _opt(r.get(c)) for c in INTERVALS})
            for r in rows]


def _series(rows: list[dict[str, Any]], scenario: str) -> list[ForecastSeries]:
    by_model: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_model.setdefault(r["model_id"], []).append(r)
    return [ForecastSeries(scenario_id=scenario, model_id=m, points=_points(rs)) for m, rs in by_model.items()]


def drilldown(engine: ServingEngine, conn: Conn, dfu_id: str, *, window: TimeWindow, lag: LagSpec,
              as_of_cycle: str | None = None) -> DrilldownResponse:
    dfu = dfu_info(engine, dfu_id)
    lag_k = _lag_value(lag, dfu)
    lag_clause, lag_params = ("", []) if lag_k is None else (" AND lag = ?", [lag_k])

    w, wp = window_sql("month_start", window)
    actuals = engine.query(f"SELECT month_start, qty FROM {SALES} WHERE dfu_id = ? AND {w} ORDER BY month_start",
                           [dfu_id, *wp])

    tw, twp = window_sql("target_month", window)
    external_rows = engine.query(
        f"SELECT 'external' AS model_id, target_month, fcst_origin, lag, fcst_qty FROM {EXTERNAL} "
        f"WHERE dfu_id = ? AND {tw}{lag_clause} ORDER BY target_month, lag",
        [dfu_id, *twp, *lag_params],
    )
    forecasts: dict[str, list[dict[str, Any]]] = {"backtest": [], "baseline": []}
    if engine.available(FORECAST):
        # the materialised `final` rows are history; the served final is folded from the baseline below
        rows = engine.query(
            "SELECT dfu_id, scenario_id, model_id, algorithm_id, timeframe, fcst_origin, target_month, lag, fcst_qty, "
            f"source_model_id, override_id, {', '.join(INTERVALS)} FROM {FORECAST} WHERE dfu_id = ? AND {tw} "
            "AND scenario_id IN ('backtest', 'baseline') AND (scenario_id <> 'backtest' OR lag = coalesce(?, lag)) "
            "ORDER BY scenario_id, model_id, target_month, fcst_origin",
            [dfu_id, *twp, lag_k],
        )
        for r in rows:
            forecasts[r["scenario_id"]].append(r)

    champion = None
    if engine.available(CHAMPIONS):
        champ = engine.query(f"SELECT * FROM {CHAMPIONS} WHERE dfu_id = ?", [dfu_id])
        champion = ChampionInfo.model_validate(champ[0]) if champ else None

    overrides = list_overrides(conn, dfu_id=dfu_id, limit=MAX_OVERRIDES, offset=0).items
    as_of_ids: list[str] = []
    if as_of_cycle is None:
        final = _series(final_svc.overlay(conn, [r for r in forecasts["baseline"] if final_svc.is_statistical(r)]),
                        "final")
    else:  # what was published as of the cycle: the kept versions, not the current forecast nor today's overrides
        refs = versions_svc.as_of(engine, as_of_cycle)
        as_of_ids = [r.version_id for r in refs]
        kept = versions_svc.version_rows(engine, refs, dfu_id)
        end = window.to_month
        in_window = {s: [r for r in rows if r["target_month"] >= window.from_month
                         and (end is None or r["target_month"] <= end)] for s, rows in kept.items()}
        forecasts["baseline"] = in_window.get("baseline", [])
        final = _series(in_window.get("final", []), "final")
    return DrilldownResponse(
        dfu=DfuInfo.model_validate(dfu),
        lag="all" if lag_k is None else str(lag_k),
        window=window,
        champion=champion,
        actuals=[ActualPoint(month=r["month_start"], qty=float(r["qty"])) for r in actuals],
        external=ForecastSeries(scenario_id="external", model_id="external", points=_points(external_rows))
        if external_rows else None,
        backtest=_series(forecasts["backtest"], "backtest"),
        baseline=_series(forecasts["baseline"], "baseline"),
        final=final[0] if final else None,
        overrides=overrides,
        as_of_cycle=as_of_cycle,
        as_of_versions=as_of_ids,
    )
