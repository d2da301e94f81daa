"""Worst DFUs (``/exceptions``): ranked by error, bias or forecast value added, with sparkline series.

Per DFU the model's rows (window, lag, filters as in ``common``) are pooled. Rankings, worst first:

* ``error``: sum |F - A| in units (the DFUs that cost the most, not the smallest series with a huge %);
* ``bias``: |sum F - sum A| in units;
* ``fva``: ``fva_units = sum |E_ref| - sum |E_model|`` over the rows both the model and the reference
  (``fva_vs``, default seasonal naive, or the legacy forecast ``external`` for seasonal naive itself) have,
  most negative first (the model destroys the most value); DFUs without shared rows are left out. ``fva_pts`` is
  FVA as everywhere (:func:`lakecast.kpi.fva`): the model's Accuracy% minus the reference's on those shared rows.

Ties are broken by ``dfu_id`` so pages are stable.

An unfiltered page of the champion against its default reference, over ``window=N`` (N <= 12) and within the first
200 ranks, is read from ``gold.exceptions_topn`` (ranked the same way by the jobs, spark_jobs/aggregates.py);
anything else is ranked here from the raw facts. The sparklines always come from the facts (<= 200 DFUs).
"""

from __future__ import annotations

from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import ExceptionPage, ExceptionRow, Ranking, SparkPoint, TimeWindow
from api.services import Invalid
from api.services.analytics import cube
from api.services.analytics.accuracy import DEFAULT_MODEL, RowSet
from api.services.analytics.common import (
    ACCURACY,
    DIM_DFU,
    DfuFilters,
    LagSpec,
    check_models,
    in_list,
    metric_columns,
    metrics_from,
    window_sql,
)
from contracts.base import literal_values
from lakecast import kpi

RANKINGS: dict[str, str] = {
    "error": "sum(a.abs_error) DESC",
    "bias": "abs(sum(a.fcst_qty) - sum(a.actual_qty)) DESC",
    "fva": "sum(r.abs_error - a.abs_error) ASC",
}
literal_values(Ranking, RANKINGS, "RANKINGS")
DEFAULT_FVA_REFERENCE = "seasonal_naive"


def exceptions(
    engine: ServingEngine, *, rank_by: str, model_id: str | None, fva_vs: str | None, window: TimeWindow,
    lag: LagSpec, filters: DfuFilters, n: int, offset: int,
) -> ExceptionPage:
    engine.require(ACCURACY, DIM_DFU)
    if rank_by not in RANKINGS:
        raise Invalid(f"rank_by must be one of {', '.join(RANKINGS)}, got {rank_by!r}")
    model = model_id or DEFAULT_MODEL
    ref = fva_vs or (DEFAULT_FVA_REFERENCE if model != DEFAULT_FVA_REFERENCE else "external")
    check_models(engine, [model, ref])
    if ref == model:
        raise Invalid(f"fva_vs must differ from model_id ({model!r})")
    if cube.topn_serves(engine, model=model, ref=ref, window=window, filters=filters, n=n, offset=offset):
        result, total = cube.topn_page(engine, rank_by=rank_by, model=model, ref=ref, window=window, lag=lag, n=n,
                                       offset=offset)
    else:
        result, total = _ranked(engine, rank_by=rank_by, model=model, ref=ref, window=window, lag=lag,
                                filters=filters, n=n, offset=offset)
    series = _sparklines(engine, [r["dfu_id"] for r in result], model, window, lag)
    items = [_row(offset + i + 1, r, series.get(r["dfu_id"], [])) for i, r in enumerate(result)]
    return ExceptionPage(rank_by=rank_by, model_id=model, fva_vs=ref, lag=lag.text, window=window,  # type: ignore[arg-type]
                         filters=filters.applied(), items=items, total=total, limit=n, offset=offset)


def _ranked(engine: ServingEngine, *, rank_by: str, model: str, ref: str, window: TimeWindow, lag: LagSpec,
            filters: DfuFilters, n: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The page's per-DFU rows ranked from the raw facts, and the number of DFUs ranked."""
    frm, params = RowSet(window, lag, filters, (model,)).sql(
        f"LEFT JOIN {ACCURACY} r ON r.scenario_id = 'backtest' AND r.model_id = ? AND r.dfu_id = a.dfu_id "
        "AND r.fcst_origin = a.fcst_origin AND r.target_month = a.target_month"
    )
    params = [ref, *params]  # the join's placeholder comes before the WHERE's
    having = "HAVING count(r.abs_error) > 0" if rank_by == "fva" else ""
    grouped = (
        f"SELECT a.dfu_id, {metric_columns()}, "
        "sum(r.abs_error - a.abs_error) AS fva_units, "
        "sum(CASE WHEN r.abs_error IS NOT NULL THEN a.abs_error END) AS fva_model_abs_error, "
        "sum(r.abs_error) AS fva_ref_abs_error, "
        "sum(CASE WHEN r.abs_error IS NOT NULL THEN abs(a.actual_qty) END) AS fva_abs_actual, "
        f"{RANKINGS[rank_by].rsplit(' ', 1)[0]} AS rank_value "
        f"{frm} GROUP BY a.dfu_id {having}"
    )
    direction = RANKINGS[rank_by].rsplit(" ", 1)[1]
    result = engine.query(
        f"WITH g AS ({grouped}) "
        "SELECT g.*, (SELECT count(*) FROM g) AS total_rows, d.item_id, d.location_id, d.category, d.region, "
        f"d.abc_class, d.cluster_label FROM g JOIN {DIM_DFU} d ON d.dfu_id = g.dfu_id "
        f"ORDER BY g.rank_value {direction}, g.dfu_id OFFSET {int(offset)} LIMIT {int(n)}",
        params,
    )
    if result:
        total = int(result[0]["total_rows"])
    else:
        count = engine.query(f"WITH g AS ({grouped}) SELECT count(*) AS n FROM g", params)
        total = int(count[0]["n"]) if count else 0
    return result, total


def _row(rank: int, r: dict[str, Any], series: list[SparkPoint]) -> ExceptionRow:
    m = metrics_from(r)
    fva_units = None if r["fva_units"] is None else float(r["fva_units"])
    fva_abs = float(r["fva_abs_actual"] or 0.0)
    fva_pts = None if fva_units is None else kpi.fva(
        kpi.accuracy_pct(kpi.wape(float(r["fva_model_abs_error"]), fva_abs)),
        kpi.accuracy_pct(kpi.wape(float(r["fva_ref_abs_error"]), fva_abs)))
    return ExceptionRow(
        rank=rank, dfu_id=r["dfu_id"], item_id=r["item_id"], location_id=r["location_id"], category=r["category"],
        region=r["region"], abc_class=r["abc_class"], cluster_label=r["cluster_label"],
        bias_units=m["forecast_qty"] - m["actual_qty"], fva_units=fva_units,
        fva_pts=fva_pts,
        series=series, **m,
    )


def _sparklines(engine: ServingEngine, dfu_ids: list[str], model: str, window: TimeWindow,
                lag: LagSpec) -> dict[str, list[SparkPoint]]:
    """Per DFU and target month: the actual and the model's forecast (mean over lags when lag=all)."""
    if not dfu_ids:
        return {}
    clauses = ["a.scenario_id = 'backtest'", "a.model_id = ?"]
    params: list[Any] = [model]
    w, wp = window_sql("a.target_month", window)
    ids, ip = in_list("a.dfu_id", dfu_ids)
    lag_sql, lp = lag.sql()
    clauses += [w, ids] + ([lag_sql] if lag_sql else [])
    params += wp + ip + lp
    rows = engine.query(
        f"SELECT a.dfu_id, a.target_month, max(a.actual_qty) AS actual_qty, avg(a.fcst_qty) AS forecast_qty "
        f"FROM {ACCURACY} a JOIN {DIM_DFU} d ON d.dfu_id = a.dfu_id WHERE {' AND '.join(clauses)} "
        "GROUP BY a.dfu_id, a.target_month ORDER BY a.dfu_id, a.target_month",
        params,
    )
    out: dict[str, list[SparkPoint]] = {}
    for r in rows:
        out.setdefault(r["dfu_id"], []).append(
            SparkPoint(month=r["target_month"], actual_qty=float(r["actual_qty"]),
                       forecast_qty=float(r["forecast_qty"])))
    return out
