"""KPIs, trends, slices and the lag curve over ``gold.fact_forecast_accuracy`` (rows defined in ``common``).

Each answer comes from the accuracy cube when it keeps every dimension the request uses (``cube.serves``), else
from the raw facts: the same rows, the same numbers (tests/api_analytics/test_preaggregates.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import (
    KpiResponse,
    LagCurveResponse,
    LagCurveSeries,
    LagPoint,
    SliceDimension,
    SlicePage,
    SliceRow,
    SliceSort,
    TimeWindow,
    TrendPoint,
    TrendResponse,
    TrendSeries,
)
from api.services import Invalid
from api.services.analytics import cube
from api.services.analytics.common import (
    ACCURACY,
    DIM_DFU,
    DfuFilters,
    LagSpec,
    check_models,
    check_timeframes,
    in_list,
    known_models,
    metric_columns,
    metrics_from,
    where,
    window_sql,
)
from contracts.base import literal_values
from lakecast import kpi

#: Default model of single-model answers: the per-DFU champion (scored on the holdout timeframes only).
DEFAULT_MODEL = "champion"
MAX_MODELS = 30


@dataclass(frozen=True)
class RowSet:
    """Which accuracy rows to pool (see the module docstring of ``common``)."""

    window: TimeWindow
    lag: LagSpec
    filters: DfuFilters
    model_ids: tuple[str, ...] = ()
    timeframes: tuple[str, ...] = ()

    def sql(self, extra_joins: str = "") -> tuple[str, list[Any]]:
        """``FROM ... WHERE ...`` over accuracy rows ``a`` joined to their DFU ``d``, and its parameters."""
        clauses = ["a.scenario_id = 'backtest'"]
        params: list[Any] = []
        w, wp = window_sql("a.target_month", self.window)
        clauses.append(w)
        params += wp
        lag_sql, lag_params = self.lag.sql()
        if lag_sql:
            clauses.append(lag_sql)
            params += lag_params
        for column, values in (("a.model_id", self.model_ids), ("a.timeframe", self.timeframes)):
            if values:
                c, p = in_list(column, list(values))
                clauses.append(c)
                params += p
        fc, fp = self.filters.sql("d")
        clauses += fc
        params += fp
        sql = f"FROM {ACCURACY} a JOIN {DIM_DFU} d ON d.dfu_id = a.dfu_id {extra_joins} WHERE {where(clauses)}"
        return sql, params


def _models(engine: ServingEngine, model_ids: Sequence[str] | None, default_all: bool) -> tuple[str, ...]:
    if not model_ids:
        return tuple(known_models(engine)) if default_all else (DEFAULT_MODEL,)
    if len(model_ids) > MAX_MODELS:
        raise Invalid(f"at most {MAX_MODELS} model_id values, got {len(model_ids)}")
    return tuple(check_models(engine, list(dict.fromkeys(model_ids))))


# ---------------------------------------------------------------------------------------------- /kpis
def kpis(engine: ServingEngine, *, model_id: str | None, window: TimeWindow, lag: LagSpec, filters: DfuFilters,
         timeframes: list[str]) -> KpiResponse:
    """Pooled Accuracy %, WAPE, MAPE, bias and volumes of one model over the window."""
    engine.require(ACCURACY, DIM_DFU)
    model = model_id or DEFAULT_MODEL
    check_models(engine, [model])
    tfs = tuple(check_timeframes(engine, timeframes))
    if cube.serves(engine, filters, tfs):
        cells = cube.CubeRows(window, lag, filters, (model,))
        select, sp = cells.metric_columns()
        frm, params = cells.sql()
        result = engine.query(f"SELECT {select} {frm}", sp + params)
    else:
        frm, params = RowSet(window, lag, filters, (model,), tfs).sql()
        result = engine.query(f"SELECT {metric_columns()} {frm}", params)
    return KpiResponse(model_id=model, lag=lag.text, window=window, filters=filters.applied(),
                       **metrics_from(result[0] if result else {}))


# ---------------------------------------------------------------------------------------------- /trends
def trends(engine: ServingEngine, *, model_ids: Sequence[str] | None, window: TimeWindow, lag: LagSpec,
           filters: DfuFilters) -> TrendResponse:
    """Per model and target month: pooled metrics and volumes (all models by default)."""
    engine.require(ACCURACY, DIM_DFU)
    models = _models(engine, model_ids, default_all=True)
    if cube.serves(engine, filters):
        cells = cube.CubeRows(window, lag, filters, models)
        select, sp = cells.metric_columns(per_month=True)
        frm, params = cells.sql()
        sql = f"SELECT c.model_id, c.target_month, {select} {frm} GROUP BY c.model_id, c.target_month"
        params = sp + params
    else:
        frm, params = RowSet(window, lag, filters, models).sql()
        sql = f"SELECT a.model_id, a.target_month, {metric_columns()} {frm} GROUP BY a.model_id, a.target_month"
    result = engine.query(f"{sql} ORDER BY model_id, target_month", params)
    by_model: dict[str, list[TrendPoint]] = {m: [] for m in models}
    for r in result:
        by_model[r["model_id"]].append(TrendPoint(month=r["target_month"], **metrics_from(r)))
    return TrendResponse(lag=lag.text, window=window, filters=filters.applied(),
                         series=[TrendSeries(model_id=m, points=p) for m, p in by_model.items()])


# ---------------------------------------------------------------------------------------------- /accuracy/lag-curve
_ALIGNED_JOIN = (
    f"JOIN (SELECT model_id, dfu_id, target_month FROM {ACCURACY} WHERE scenario_id = 'backtest' "
    "GROUP BY model_id, dfu_id, target_month HAVING count(DISTINCT lag) = "
    f"(SELECT count(DISTINCT lag) FROM {ACCURACY} WHERE scenario_id = 'backtest')) f "
    "ON f.model_id = a.model_id AND f.dfu_id = a.dfu_id AND f.target_month = a.target_month"
)


def lag_curve(engine: ServingEngine, *, model_ids: Sequence[str] | None, window: TimeWindow, filters: DfuFilters,
              aligned: bool = False) -> LagCurveResponse:
    """Per model and lag: pooled metrics over the window's target months (all models by default).

    Each lag covers somewhat different target months (origins A..J are fixed); ``aligned`` keeps only the
    DFU-months forecast at every lag, so each lag is scored on the same actuals (champion and ceiling, which
    exist on the holdout origins only, have no such months)."""
    engine.require(ACCURACY, DIM_DFU)
    models = _models(engine, model_ids, default_all=True)
    if cube.serves(engine, filters):
        cells = cube.CubeRows(window, LagSpec("all"), filters, models, aligned=aligned)
        select, sp = cells.metric_columns(by_lag=True)
        frm, params = cells.sql()
        sql = f"SELECT c.model_id, c.lag, {select} {frm} GROUP BY c.model_id, c.lag"
        params = sp + params
    else:
        frm, params = RowSet(window, LagSpec("all"), filters, models).sql(_ALIGNED_JOIN if aligned else "")
        sql = f"SELECT a.model_id, a.lag, {metric_columns()} {frm} GROUP BY a.model_id, a.lag"
    result = engine.query(f"{sql} ORDER BY model_id, lag", params)
    by_model: dict[str, list[LagPoint]] = {m: [] for m in models}
    for r in result:
        by_model[r["model_id"]].append(LagPoint(lag=int(r["lag"]), **metrics_from(r)))
    return LagCurveResponse(window=window, filters=filters.applied(), aligned=aligned,
                            series=[LagCurveSeries(model_id=m, points=p) for m, p in by_model.items()])


# ---------------------------------------------------------------------------------------------- /accuracy/slice
_CUSTOMER_JOIN = (
    "JOIN (SELECT DISTINCT customer_id, location_id FROM gold.agg_loc_customer_week) c "
    "ON c.location_id = d.location_id "
    "LEFT JOIN gold.dim_customer cu ON cu.customer_id = c.customer_id AND cu.is_current"
)

#: by -> (key expression, label expression, extra joins). Keys are text so every slice has one shape.
SLICE_DIMENSIONS: dict[str, tuple[str, str | None, str]] = {
    "category": ("d.category", None, ""),
    "brand": ("d.brand", None, ""),
    "supplier": ("d.supplier", None, ""),
    "region": ("d.region", None, ""),
    "abc_class": ("d.abc_class", None, ""),
    "xyz_class": ("d.xyz_class", None, ""),
    "cluster": ("CAST(d.cluster_id AS VARCHAR)", "d.cluster_label", ""),
    "location": ("d.location_id", "l.location_name",
                 "LEFT JOIN gold.dim_location l ON l.location_id = d.location_id AND l.is_current"),
    "item": ("d.item_id", "i.item_name", "LEFT JOIN gold.dim_item i ON i.item_id = d.item_id AND i.is_current"),
    "customer": ("c.customer_id", "cu.customer_name", _CUSTOMER_JOIN),
    "dfu": ("d.dfu_id", None, ""),
    "lag": ("CAST(a.lag AS VARCHAR)", None, ""),
    "model": ("a.model_id", None, ""),
    "timeframe": ("a.timeframe", None, ""),
}
literal_values(SliceDimension, SLICE_DIMENSIONS, "SLICE_DIMENSIONS")

#: sort name -> SQL expression over the grouped rows
SLICE_SORTS: dict[str, str] = {
    "actual_qty": "sum(a.actual_qty)",
    "forecast_qty": "sum(a.fcst_qty)",
    "abs_error": "sum(a.abs_error)",
    "n_rows": "count(*)",
    "wape": kpi.wape_sql("a.abs_error", "a.actual_qty"),
    "accuracy_pct": kpi.accuracy_pct_sql("a.abs_error", "a.actual_qty"),
    "bias": kpi.bias_sql("a.fcst_qty", "a.actual_qty"),
    "abs_bias": f"abs({kpi.bias_sql('a.fcst_qty', 'a.actual_qty')})",
    "key": "",  # the slice key itself
}
literal_values(SliceSort, SLICE_SORTS, "SLICE_SORTS")


def accuracy_slice(
    engine: ServingEngine, *, by: str, model_id: str | None, window: TimeWindow, lag: LagSpec | None,
    filters: DfuFilters, timeframes: list[str], sort: str, order: str | None, limit: int, offset: int,
) -> SlicePage:
    """Pooled metrics per value of one dimension, sorted and paginated (ties broken by key)."""
    engine.require(ACCURACY, DIM_DFU)
    if by not in SLICE_DIMENSIONS:
        raise Invalid(f"by must be one of {', '.join(SLICE_DIMENSIONS)}, got {by!r}")
    if sort not in SLICE_SORTS:
        raise Invalid(f"sort must be one of {', '.join(SLICE_SORTS)}, got {sort!r}")
    if by == "lag" and lag is not None and lag.text != "all":
        raise Invalid("by=lag slices every lag: leave lag out (or lag=all)")
    lag_spec = LagSpec("all") if by == "lag" else (lag or LagSpec("execution"))
    if by == "model":
        models: tuple[str, ...] = tuple(check_models(engine, [model_id])) if model_id else ()
    else:
        models = (model_id or DEFAULT_MODEL,)
        check_models(engine, list(models))
    direction = (order or ("asc" if sort == "key" else "desc")).lower()
    if direction not in ("asc", "desc"):
        raise Invalid(f"order must be asc or desc, got {order!r}")
    tfs = tuple(check_timeframes(engine, timeframes))
    if cube.serves(engine, filters, tfs, by=by):
        key, label, joins = cube.CUBE_SLICES[by]
        sort_sql = cube.CUBE_SORTS[sort]
        cells = cube.CubeRows(window, lag_spec, filters, models, by=by)
        select, sp = cells.metric_columns(by_lag=by == "lag")
        frm, fp = cells.sql(joins)
        params = sp + fp
    else:
        key, label, joins = SLICE_DIMENSIONS[by]
        sort_sql = SLICE_SORTS[sort]
        select = metric_columns()
        frm, params = RowSet(window, lag_spec, filters, models, tfs).sql(joins)
    label_sql = label or key
    grouped = (
        f"SELECT {key} AS slice_key, {label_sql} AS slice_label, {select}, "
        f"{sort_sql if sort != 'key' else key} "
        f"AS sort_value {frm} GROUP BY {key}, {label_sql}"
    )
    result = engine.query(
        f"WITH g AS ({grouped}) SELECT g.*, (SELECT count(*) FROM g) AS total_rows FROM g "
        f"ORDER BY sort_value {direction.upper()} NULLS LAST, slice_key ASC NULLS LAST "
        f"OFFSET {int(offset)} LIMIT {int(limit)}",
        params,
    )
    if result:
        total = int(result[0]["total_rows"])
    else:
        count = engine.query(f"WITH g AS ({grouped}) SELECT count(*) AS n FROM g", params)
        total = int(count[0]["n"]) if count else 0
    items = [SliceRow(key=None if r["slice_key"] is None else str(r["slice_key"]),
                      label=None if r["slice_label"] is None else str(r["slice_label"]), **metrics_from(r))
             for r in result]
    return SlicePage(by=by, model_id=None if by == "model" else models[0], lag=lag_spec.text, window=window,
                     filters=filters.applied(), sort=f"{sort} {direction}", items=items, total=total, limit=limit,
                     offset=offset)
