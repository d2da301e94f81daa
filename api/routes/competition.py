"""The model competition: config (GET any role, PUT approver/admin, audited), what-if run, published summary and
detail (per model x lag x segment)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from api.deps import CompetitionEditor, CompetitionRunner, CurrentUser, DbConn, SettingsDep
from api.engine import EngineDep
from api.schemas.analytics import (
    CompetitionConfigBody,
    CompetitionConfigOut,
    CompetitionDetail,
    CompetitionRunRequest,
    CompetitionRunResult,
    CompetitionSummary,
)
from api.services.analytics import competition as svc
from contracts.app import ErrorBody
from contracts.forecast import ScoredModelId
from lakecast.lag import MAX_LAG

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    403: {"model": ErrorBody, "description": "role does not allow this"},
    422: {"model": ErrorBody, "description": "invalid config"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the pipeline)"},
}
router = APIRouter(prefix="/competition", tags=["competition"], responses=_ERRORS)


@router.get("/config", response_model=CompetitionConfigOut, summary="Active competition config (stored or conf/)")
def get_config(user: CurrentUser, conn: DbConn, settings: SettingsDep) -> CompetitionConfigOut:
    return svc.get_config(conn, settings)


@router.put("/config", response_model=CompetitionConfigOut,
            summary="Store a new competition config (approver, admin); the next forecast run uses it")
def put_config(user: CompetitionEditor, conn: DbConn, settings: SettingsDep,
               body: CompetitionConfigBody) -> CompetitionConfigOut:
    return svc.put_config(conn, settings, user, body)


@router.post("/run", response_model=CompetitionRunResult,
             summary="Recompute champions from the published backtests (planner, approver, admin; writes nothing)")
def run_competition(user: CompetitionRunner, conn: DbConn, settings: SettingsDep, engine: EngineDep,
                    body: Annotated[CompetitionRunRequest | None, Body()] = None) -> CompetitionRunResult:
    return svc.run(engine, conn, settings, body.config if body else None)


@router.get("/summary", response_model=CompetitionSummary,
            summary="Published competition: scores, champion share, FVA, gap to ceiling")
def summary(user: CurrentUser, engine: EngineDep) -> CompetitionSummary:
    return svc.summary(engine)


@router.get("/detail", response_model=CompetitionDetail,
            summary="Published holdout scores per model x lag x segment (gold.model_scores_detail)",
            responses={404: {"model": ErrorBody, "description": "unknown segment"}})
def detail(
    user: CurrentUser, engine: EngineDep,
    lag: Annotated[int | None, Query(ge=0, le=MAX_LAG,
                                     description=f"One lag 0..{MAX_LAG} (default: every lag)")] = None,
    segment: Annotated[str | None, Query(min_length=1, max_length=200,
                                         description="Segment label, or 'all' (default: every segment)")] = None,
    model_id: Annotated[list[ScoredModelId] | None, Query(max_length=30,
                                                          description="Model ids (repeat; default: all)")] = None,
) -> CompetitionDetail:
    return svc.detail(engine, lag=lag, segment=segment, model_ids=model_id)
