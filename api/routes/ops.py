"""Runs and lineage: pipeline runs with MLflow links and current snapshots, quality gates, quarantine (any role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, DbConn, SettingsDep
from api.engine import EngineDep
from api.schemas.analytics import GatePage, QuarantineSummary, RunsPage
from api.services.analytics import ops as svc
from contracts.app import ErrorBody, RunStatus

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    422: {"model": ErrorBody, "description": "invalid parameter"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the pipeline)"},
}
router = APIRouter(tags=["ops"], responses=_ERRORS)
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (max 500)")]
Offset = Annotated[int, Query(ge=0, le=10**6)]


@router.get("/runs", response_model=RunsPage, summary="Pipeline runs (newest first) and current table snapshots")
def runs(
    user: CurrentUser, conn: DbConn, engine: EngineDep, settings: SettingsDep,
    job: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    status: Annotated[RunStatus | None, Query()] = None,
    limit: Limit = 50, offset: Offset = 0,
) -> RunsPage:
    return svc.runs(conn, engine, settings, job=job, status=status, limit=limit, offset=offset)


@router.get("/gates", response_model=GatePage, summary="Quality-gate results (ops.gate_results), newest first")
def gates(
    user: CurrentUser, engine: EngineDep,
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    table: Annotated[str | None, Query(max_length=200, description="Table name, e.g. gold.dim_dfu")] = None,
    passed: bool | None = None,
    limit: Limit = 100, offset: Offset = 0,
) -> GatePage:
    return svc.gates(engine, run_id=run_id, table=table, passed=passed, limit=limit, offset=offset)


@router.get("/quarantine/summary", response_model=QuarantineSummary,
            summary="Quarantined rows by table and rule; landed/accepted/quarantined per table")
def quarantine_summary(user: CurrentUser, engine: EngineDep) -> QuarantineSummary:
    return svc.quarantine_summary(engine)
