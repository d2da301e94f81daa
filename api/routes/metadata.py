"""Metadata for filters and pickers: slicing dimensions with their values, typeahead search (any role)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentUser
from api.engine import EngineDep
from api.schemas.analytics import DimensionsResponse, SearchResponse
from api.services.analytics import metadata as svc
from contracts.app import ErrorBody

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    422: {"model": ErrorBody, "description": "invalid parameter"},
    503: {"model": ErrorBody, "description": "the tables are not published yet (run the pipeline)"},
}
router = APIRouter(prefix="/meta", tags=["metadata"], responses=_ERRORS)


@router.get("/dimensions", response_model=DimensionsResponse, summary="Slicing dimensions and their values")
def dimensions(
    user: CurrentUser, engine: EngineDep,
    max_values: Annotated[int, Query(ge=1, le=1000, description="Values listed per dimension (most DFUs first)")]
    = 200,
) -> DimensionsResponse:
    return svc.dimensions(engine, max_values=max_values)


@router.get("/search", response_model=SearchResponse, summary="Typeahead over items, locations or customers")
def search(
    user: CurrentUser, engine: EngineDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Text in the id or name (case-insensitive)")],
    kind: Annotated[Literal["item", "location", "customer"], Query(description="What to search")] = "item",
    limit: Annotated[int, Query(ge=1, le=50, description="Most hits returned (max 50)")] = 10,
) -> SearchResponse:
    return svc.search(engine, q=q, kind=kind, limit=limit)
