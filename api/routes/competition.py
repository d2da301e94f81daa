"""The model competition: config (GET any role, PUT approver/admin, audited), what-if run, published summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.deps import ApproverUser, ContributorUser, CurrentUser, DbConn, SettingsDep
from api.engine import EngineDep
from api.schemas.analytics import (
    CompetitionConfigBody,
    CompetitionConfigOut,
    CompetitionRunRequest,
    CompetitionRunResult,
    CompetitionSummary,
)
from api.services.analytics import competition as svc
from contracts.app import ErrorBody

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
def put_config(user: ApproverUser, conn: DbConn, settings: SettingsDep,
               body: CompetitionConfigBody) -> CompetitionConfigOut:
    return svc.put_config(conn, settings, user, body)


@router.post("/run", response_model=CompetitionRunResult,
             summary="Recompute champions from the published backtests (planner, approver, admin; writes nothing)")
def run_competition(user: ContributorUser, conn: DbConn, settings: SettingsDep, engine: EngineDep,
                    body: Annotated[CompetitionRunRequest | None, Body()] = None) -> CompetitionRunResult:
    return svc.run(engine, conn, settings, body.config if body else None)


@router.get("/summary", response_model=CompetitionSummary,
            summary="Published competition: scores, champion share, FVA, gap to ceiling")
def summary(user: CurrentUser, engine: EngineDep) -> CompetitionSummary:
    return svc.summary(engine)
