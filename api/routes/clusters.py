"""Demand-pattern clusters (current clustering) and their member DFUs (any role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import CurrentUser
from api.engine import EngineDep
from api.schemas.analytics import ClusterList, ClusterMemberPage, MemberSort
from api.services.analytics import clusters as svc
from contracts.app import ErrorBody

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    422: {"model": ErrorBody, "description": "invalid parameter"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the pipeline)"},
}
router = APIRouter(prefix="/clusters", tags=["clusters"], responses=_ERRORS)


@router.get("", response_model=ClusterList, summary="Cluster profiles (gold.cluster_profile)")
def clusters(user: CurrentUser, engine: EngineDep) -> ClusterList:
    return svc.clusters(engine)


@router.get("/{cluster_id}/members", response_model=ClusterMemberPage, summary="DFUs of one cluster (paged)",
            responses={404: {"model": ErrorBody, "description": "unknown cluster"}})
def members(
    user: CurrentUser, engine: EngineDep,
    cluster_id: Annotated[int, Path(ge=0, le=10**6)],
    sort: Annotated[MemberSort, Query(description="dfu_id, or qty_12m (largest first)")] = "dfu_id",
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (max 500)")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> ClusterMemberPage:
    return svc.members(engine, cluster_id, sort=sort, limit=limit, offset=offset)
