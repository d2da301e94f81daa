"""Accuracy analytics: KPIs, trends, slices, lag curve, exceptions and the DFU drilldown (read-only, any role).

Which rows every number pools is defined once in ``api/services/analytics/common.py`` and in docs/api.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import CurrentUser, DbConn
from api.engine import EngineDep
from api.schemas.analytics import (
    DrilldownResponse,
    ExceptionPage,
    KpiResponse,
    LagChoice,
    LagCurveResponse,
    Ranking,
    SliceDimension,
    SlicePage,
    SliceSort,
    SortOrder,
    TrendResponse,
)
from api.services.analytics import accuracy as acc
from api.services.analytics import drilldown as dd
from api.services.analytics import exceptions_topn as exc
from api.services.analytics.common import (
    MAX_FILTER_VALUES,
    DfuFilters,
    LagSpec,
    accuracy_anchor,
    resolve_window,
)
from contracts.app import ErrorBody
from contracts.forecast import ScoredModelId
from lakecast.dfu_classes import AbcClass, XyzClass

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    422: {"model": ErrorBody, "description": "invalid or missing parameter (e.g. no time window)"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the pipeline)"},
}
router = APIRouter(tags=["analytics"], responses=_ERRORS)

_MONTH = r"^\d{4}-\d{2}$"
Values = Annotated[list[str] | None, Query(max_length=MAX_FILTER_VALUES)]
LagParam = Annotated[
    LagChoice | None,
    Query(description="0..4, 'execution' (each DFU at its execution lag; default) or 'all' (every lag pooled)"),
]
ModelParam = Annotated[ScoredModelId | None, Query(description="Model id (default: champion)")]
ModelsParam = Annotated[list[ScoredModelId] | None, Query(max_length=30,
                                                          description="Model ids (repeat; default: all)")]
TimeframesParam = Annotated[list[str] | None, Query(max_length=26, description="Backtest origins A..J (repeat)")]


@dataclass(frozen=True)
class WindowParams:
    window: int | None
    from_: str | None
    to: str | None


def window_params(
    window: Annotated[int | None, Query(ge=1, le=12, description="Last N months of data (1..12)")] = None,
    from_: Annotated[str | None, Query(alias="from", pattern=_MONTH, description="First month, YYYY-MM")] = None,
    to: Annotated[str | None, Query(pattern=_MONTH, description="Last month, YYYY-MM (inclusive)")] = None,
) -> WindowParams:
    """Required time window: ``window`` or ``from`` + ``to`` (checked by the service, with a clear 422)."""
    return WindowParams(window, from_, to)


def dfu_filters(
    category: Values = None, brand: Values = None, supplier: Values = None, region: Values = None,
    location: Values = None, item: Values = None, customer: Values = None,
    cluster: Annotated[list[int] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    abc_class: Annotated[list[AbcClass] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
    xyz_class: Annotated[list[XyzClass] | None, Query(max_length=MAX_FILTER_VALUES)] = None,
) -> DfuFilters:
    """DFU filters: repeat a parameter for several values (OR); different parameters combine with AND."""
    values = {"category": category, "brand": brand, "supplier": supplier, "region": region, "location": location,
              "item": item, "customer": customer, "cluster": [str(c) for c in cluster] if cluster else None,
              "abc_class": list(abc_class or []), "xyz_class": list(xyz_class or [])}
    return DfuFilters({k: list(v) for k, v in values.items() if v})


Window = Annotated[WindowParams, Depends(window_params)]
Filters = Annotated[DfuFilters, Depends(dfu_filters)]


@router.get("/kpis", response_model=KpiResponse, summary="Accuracy %, WAPE, MAPE, bias and volumes of one model")
def kpis(user: CurrentUser, engine: EngineDep, w: Window, filters: Filters, model_id: ModelParam = None,
         lag: LagParam = None, timeframe: TimeframesParam = None) -> KpiResponse:
    window = resolve_window(w.window, w.from_, w.to, accuracy_anchor(engine))
    return acc.kpis(engine, model_id=model_id, window=window, lag=LagSpec.parse(lag), filters=filters,
                    timeframes=timeframe or [])


@router.get("/trends", response_model=TrendResponse, summary="Accuracy and volume per target month, by model")
def trends(user: CurrentUser, engine: EngineDep, w: Window, filters: Filters, model_id: ModelsParam = None,
           lag: LagParam = None) -> TrendResponse:
    window = resolve_window(w.window, w.from_, w.to, accuracy_anchor(engine))
    return acc.trends(engine, model_ids=model_id, window=window, lag=LagSpec.parse(lag), filters=filters)


@router.get("/accuracy/slice", response_model=SlicePage, summary="Accuracy per value of one dimension (paged)")
def accuracy_slice(
    user: CurrentUser, engine: EngineDep, w: Window, filters: Filters,
    by: Annotated[SliceDimension, Query(description="The dimension to slice by")],
    model_id: ModelParam = None, lag: LagParam = None, timeframe: TimeframesParam = None,
    sort: Annotated[SliceSort, Query(description="Sort key (key = the slice value)")] = "actual_qty",
    order: Annotated[SortOrder | None, Query(description="Default desc; asc for key")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (max 500)")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> SlicePage:
    window = resolve_window(w.window, w.from_, w.to, accuracy_anchor(engine))
    return acc.accuracy_slice(engine, by=by, model_id=model_id, window=window,
                              lag=None if lag is None else LagSpec.parse(lag), filters=filters,
                              timeframes=timeframe or [], sort=sort, order=order, limit=limit, offset=offset)


@router.get("/accuracy/lag-curve", response_model=LagCurveResponse, summary="Accuracy by lag 0..4, by model")
def lag_curve(
    user: CurrentUser, engine: EngineDep, w: Window, filters: Filters, model_id: ModelsParam = None,
    aligned: Annotated[bool, Query(description="Only DFU-months forecast at every lag")] = False,
) -> LagCurveResponse:
    window = resolve_window(w.window, w.from_, w.to, accuracy_anchor(engine))
    return acc.lag_curve(engine, model_ids=model_id, window=window, filters=filters, aligned=aligned)


@router.get("/exceptions", response_model=ExceptionPage, summary="Worst DFUs by error, bias or FVA (sparklines)")
def exceptions(
    user: CurrentUser, engine: EngineDep, w: Window, filters: Filters,
    rank_by: Annotated[Ranking, Query(description="error (sum |F - A|), bias (|sum F - sum A|) or fva")] = "error",
    n: Annotated[int, Query(ge=1, le=200, description="How many DFUs (max 200)")] = 20,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
    model_id: ModelParam = None,
    fva_vs: Annotated[ScoredModelId | None, Query(description="FVA reference (default seasonal_naive)")] = None,
    lag: LagParam = None,
) -> ExceptionPage:
    window = resolve_window(w.window, w.from_, w.to, accuracy_anchor(engine))
    return exc.exceptions(engine, rank_by=rank_by, model_id=model_id, fva_vs=fva_vs, window=window,
                          lag=LagSpec.parse(lag), filters=filters, n=n, offset=offset)


@router.get("/dfus/{dfu_id}", response_model=DrilldownResponse, summary="One DFU: actuals, every forecast, overrides",
            responses={404: {"model": ErrorBody, "description": "unknown DFU"}})
def dfu_drilldown(
    user: CurrentUser, engine: EngineDep, conn: DbConn, w: Window,
    dfu_id: Annotated[str, Path(max_length=201, description="item_id|location_id")],
    lag: LagParam = None,
    as_of_cycle: Annotated[str | None, Query(pattern=_MONTH, description=(
        "Planning cycle YYYY-MM: baseline champion and final as published then (gold.fact_forecast_version) "
        "instead of the current ones"))] = None,
) -> DrilldownResponse:
    window = resolve_window(w.window, w.from_, w.to, dd.sales_anchor(engine), open_end=True)
    return dd.drilldown(engine, conn, dfu_id, window=window, lag=LagSpec.parse(lag), as_of_cycle=as_of_cycle)
