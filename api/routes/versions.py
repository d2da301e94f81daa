"""Forecast versions, "as of cycle" answers, the waterfall and the value of overrides (read-only, any role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, DbConn
from api.engine import EngineDep
from api.routes.analytics import Filters, Window
from api.schemas.versions import AsOfResponse, OverrideValuePage, VersionPage, WaterfallResponse
from api.services.analytics import versions as vs
from api.services.analytics import waterfall as wf
from api.services.analytics.common import resolve_window
from api.services.analytics.drilldown import sales_anchor
from contracts.app import ErrorBody

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    404: {"model": ErrorBody, "description": "no version published as of the cycle"},
    422: {"model": ErrorBody, "description": "invalid or missing parameter"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the forecast job)"},
}
router = APIRouter(tags=["versions"], responses=_ERRORS)

_CYCLE = r"^\d{4}-\d{2}$"
CycleParam = Annotated[str | None, Query(pattern=_CYCLE, description="Planning cycle YYYY-MM (month of the "
                                                                      "forecast origin)")]
DfuIds = Annotated[list[str] | None, Query(max_length=wf.MAX_DFU_IDS, description="DFU ids (repeat)")]


@router.get("/forecast/versions", response_model=VersionPage, summary="Published forecast versions, as of a cycle")
def forecast_versions(
    user: CurrentUser, engine: EngineDep, as_of_cycle: CycleParam = None,
    scenario: Annotated[str | None, Query(description="baseline | final")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> VersionPage:
    return vs.list_versions(engine, as_of_cycle=as_of_cycle, scenario=scenario, limit=limit, offset=offset)


@router.get("/forecast/as-of", response_model=AsOfResponse,
            summary="Baseline and final forecast of a slice as published as of a cycle")
def forecast_as_of(
    user: CurrentUser, engine: EngineDep, filters: Filters,
    cycle: Annotated[str, Query(pattern=_CYCLE, description="Planning cycle YYYY-MM")],
    dfu: DfuIds = None,
) -> AsOfResponse:
    return vs.as_of_slice(engine, cycle=cycle, filters=filters, dfu_ids=list(dfu or []))


@router.get("/waterfall", response_model=WaterfallResponse,
            summary="Forecasts published at lags 4..0 per target month, actuals and accuracy by lag")
def waterfall(user: CurrentUser, engine: EngineDep, w: Window, filters: Filters,
              dfu: DfuIds = None) -> WaterfallResponse:
    window = resolve_window(w.window, w.from_, w.to, sales_anchor(engine), open_end=True)
    return wf.waterfall(engine, window=window, filters=filters, dfu_ids=list(dfu or []))


@router.get("/override-value", response_model=OverrideValuePage,
            summary="Did touching help? FVA of approved overrides by override, planner, reason code or lag")
def override_value(
    user: CurrentUser, engine: EngineDep, conn: DbConn,
    by: Annotated[str, Query(description=f"One of: {', '.join(wf.VALUE_BY)}")] = "override",
    lag: Annotated[int | None, Query(ge=0, le=4, description="Keep one lag (default: every lag pooled)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> OverrideValuePage:
    return wf.override_value(engine, conn, by=by, lag=lag, limit=limit, offset=offset)
