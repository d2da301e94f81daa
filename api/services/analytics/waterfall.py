"""The waterfall (``gold.forecast_waterfall``) of a slice and the value of overrides (``gold.override_value``).

Waterfall: per target month in the window, one cell per lag 4..0 with the baseline and final forecast published in
that lag's cycle summed over the slice's DFUs, the actual, and Accuracy% (lakecast.kpi) of each cell and of each
lag pooled over the window. A scenario's accuracy pools only the DFU-months where it has a forecast and the actual
is known. Override value: ``gold.override_value`` grouped by override, planner, reason code or lag (planner and
reason code read from the app database), with FVA = final Accuracy% - statistical Accuracy% on the same rows.
"""

from __future__ import annotations

from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import Metrics, TimeWindow
from api.schemas.versions import (
    LagAccuracy,
    OverrideValuePage,
    OverrideValueRow,
    WaterfallCell,
    WaterfallMonth,
    WaterfallResponse,
)
from api.services import Invalid
from api.services.analytics.common import DIM_DFU, DfuFilters, metrics_from, where, window_sql
from lakecast import kpi
from lakecast.appdb.db import Conn
from lakecast.versions import WATERFALL_LAGS

WATERFALL = "gold.forecast_waterfall"
VALUE = "gold.override_value"
VALUE_BY = ("override", "planner", "reason_code", "lag")
MAX_DFU_IDS = 100


def _known(scenario: str) -> str:
    """The actual of a row where ``scenario`` has a forecast and the actual is known, else NULL."""
    return f"CASE WHEN w.{scenario}_abs_error IS NOT NULL THEN w.actual_qty END"


def _slice(filters: DfuFilters, dfu_ids: list[str], window: TimeWindow) -> tuple[str, list[Any]]:
    if len(dfu_ids) > MAX_DFU_IDS:
        raise Invalid(f"dfu: at most {MAX_DFU_IDS} values, got {len(dfu_ids)}")
    clauses, params = filters.sql("d")
    if dfu_ids:
        clauses.append(f"w.dfu_id IN ({', '.join('?' for _ in dfu_ids)})")
        params.extend(dfu_ids)
    w, wp = window_sql("w.target_month", window)
    return (f"FROM {WATERFALL} w JOIN {DIM_DFU} d ON d.dfu_id = w.dfu_id WHERE {w} AND {where(clauses)}",
            [*wp, *params])


def _sums(scenario: str, p: str) -> str:
    """The sums of common.metric_columns for one scenario of the waterfall (rows with its forecast and an actual),
    aliased ``<p><name>``."""
    known = _known(scenario)
    err = f"w.{scenario}_abs_error"
    return (
        f"count({err}) AS {p}n_rows, count(DISTINCT CASE WHEN {err} IS NOT NULL THEN w.dfu_id END) AS {p}n_dfus, "
        f"sum({known}) AS {p}actual_qty, sum(CASE WHEN {err} IS NOT NULL THEN w.{scenario}_qty END) "
        f"AS {p}forecast_qty, sum({err}) AS {p}abs_error, sum(abs({known})) AS {p}abs_actual, "
        f"sum(CASE WHEN {known} <> 0 THEN {err} / abs({known}) END) AS {p}ape_sum, "
        f"count(CASE WHEN {known} <> 0 THEN 1 END) AS {p}ape_rows"
    )


def waterfall(engine: ServingEngine, *, window: TimeWindow, filters: DfuFilters,
              dfu_ids: list[str]) -> WaterfallResponse:
    engine.require(WATERFALL, DIM_DFU)
    frm, params = _slice(filters, dfu_ids, window)
    cells = engine.query(
        "SELECT w.target_month, w.lag, min(w.planning_cycle) AS planning_cycle, "
        "sum(w.baseline_qty) AS baseline_qty, sum(w.final_qty) AS final_qty, count(*) AS n_dfus, "
        "count(w.override_id) AS n_overridden, "
        f"{kpi.accuracy_pct_sql('w.baseline_abs_error', _known('baseline'))} AS baseline_accuracy_pct, "
        f"{kpi.accuracy_pct_sql('w.final_abs_error', _known('final'))} AS final_accuracy_pct "
        f"{frm} GROUP BY w.target_month, w.lag ORDER BY w.target_month, w.lag DESC", params)
    actuals = {r["target_month"]: r["actual_qty"] for r in engine.query(
        "SELECT target_month, sum(actual_qty) AS actual_qty FROM (SELECT DISTINCT w.dfu_id, w.target_month, "
        f"w.actual_qty {frm}) x GROUP BY target_month", params)}
    months: dict[Any, list[WaterfallCell]] = {}
    for r in cells:
        months.setdefault(r["target_month"], []).append(WaterfallCell.model_validate(
            {k: v for k, v in r.items() if k != "target_month"}))
    by_lag = engine.query(
        f"SELECT w.lag, {_sums('baseline', 'b_')}, {_sums('final', 'f_')} "
        f"{frm} GROUP BY w.lag ORDER BY w.lag DESC", params)
    fva_rows = {r["lag"]: r["fva"] for r in engine.query(
        f"SELECT w.lag, {kpi.fva_sql('w.final_abs_error', 'w.baseline_abs_error', 'w.actual_qty')} AS fva {frm} "
        "AND w.final_abs_error IS NOT NULL AND w.baseline_abs_error IS NOT NULL GROUP BY w.lag", params)}
    accuracy = [LagAccuracy(
        lag=int(r["lag"]),
        baseline=Metrics(**metrics_from({k[2:]: v for k, v in r.items() if k.startswith("b_")})),
        final=Metrics(**metrics_from({k[2:]: v for k, v in r.items() if k.startswith("f_")})),
        fva=fva_rows.get(r["lag"])) for r in by_lag]
    applied = filters.applied() | ({"dfu": dfu_ids} if dfu_ids else {})
    return WaterfallResponse(
        window=window, filters=applied, lags=sorted(WATERFALL_LAGS, reverse=True),
        months=[WaterfallMonth(target_month=m, actual_qty=actuals.get(m), cells=c) for m, c in months.items()],
        accuracy_by_lag=accuracy)


def override_value(engine: ServingEngine, conn: Conn, *, by: str, lag: int | None, limit: int,
                   offset: int) -> OverrideValuePage:
    """FVA of approved overrides grouped by ``by``, sorted by FVA (worst first), paged."""
    engine.require(VALUE)
    if by not in VALUE_BY:
        raise Invalid(f"by must be one of {', '.join(VALUE_BY)}, got {by!r}")
    rows = engine.query(f"SELECT * FROM {VALUE}" + (" WHERE lag = ?" if lag is not None else ""),
                        [] if lag is None else [lag])
    ids = sorted({int(r["override_id"]) for r in rows if str(r["override_id"]).isdigit()})
    meta = {str(o["id"]): o for o in conn.execute(
        "SELECT id, dfu_id, start_month, end_month, new_qty::float8 AS new_qty, pct_change::float8 AS pct_change, "
        "created_by, reason_code FROM overrides WHERE id = ANY(%s)", [ids]).fetchall()} if ids else {}
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        o = meta.get(str(r["override_id"]), {})
        key = {"override": str(r["override_id"]), "planner": o.get("created_by") or "unknown",
               "reason_code": o.get("reason_code") or "unknown", "lag": str(r["lag"])}[by]
        g = groups.setdefault(key, {"ids": set(), "n": 0, "a": 0.0, "aa": 0.0, "b": 0.0, "f": 0.0, "be": 0.0,
                                    "fe": 0.0})
        g["ids"].add(str(r["override_id"]))
        for k, col in (("n", "n_rows"), ("a", "actual_qty"), ("aa", "abs_actual"), ("b", "baseline_qty"),
                       ("f", "final_qty"), ("be", "baseline_abs_error"), ("fe", "final_abs_error")):
            g[k] += r[col]
    items = []
    for key, g in groups.items():
        b_acc = kpi.accuracy_pct(kpi.wape(g["be"], g["aa"]))
        f_acc = kpi.accuracy_pct(kpi.wape(g["fe"], g["aa"]))
        info = meta.get(key) if by == "override" else None
        detail = None
        if info:
            o = info
            adj = f"{o['new_qty']:,.0f} units" if o["new_qty"] is not None else f"{o['pct_change']:+.1f}%"
            detail = (f"{o['dfu_id']} {o['start_month']:%Y-%m}..{o['end_month']:%Y-%m} {adj}, "
                      f"by {o['created_by']} ({o['reason_code']})")
        items.append(OverrideValueRow(key=key, n_overrides=len(g["ids"]), n_rows=int(g["n"]), actual_qty=g["a"],
                                      baseline_qty=g["b"], final_qty=g["f"], baseline_accuracy_pct=b_acc,
                                      final_accuracy_pct=f_acc, fva=kpi.fva(f_acc, b_acc), detail=detail))
    items.sort(key=lambda i: (i.fva is None, i.fva if i.fva is not None else 0.0, i.key))
    return OverrideValuePage(by=by, lag=lag, items=items[offset:offset + limit], total=len(items), limit=limit,
                             offset=offset)
