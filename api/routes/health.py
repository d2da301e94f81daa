"""Liveness and readiness.

``GET /health`` answers as long as the process serves requests. ``GET /ready`` runs every check in
``app.state.readiness_checks`` (a list of ``ReadinessCheck``; ``create_app`` registers ``postgres``; other
components append theirs) and answers 503 with the failures if any check raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts.app import ErrorBody, HealthStatus, ReadyStatus

log = logging.getLogger("lakecast.api")

router = APIRouter(tags=["health"])


@dataclass(frozen=True)
class ReadinessCheck:
    """``check(app)`` raises (any exception) when the dependency is unusable; its return value is ignored."""

    name: str
    check: Callable[[Any], object]


def postgres_check(app: Any) -> None:
    pool = getattr(app.state, "pool", None)
    if pool is None:
        raise RuntimeError("pool not open")
    with pool.connection(timeout=3) as conn:
        conn.execute("SELECT 1").fetchone()


@router.get("/health", response_model=HealthStatus, summary="Liveness")
def health() -> HealthStatus:
    return HealthStatus()


@router.get(
    "/ready",
    response_model=ReadyStatus,
    summary="Readiness (app database and registered checks)",
    responses={503: {"model": ErrorBody, "description": "a check failed"}},
)
def ready(request: Request) -> Any:
    checks: dict[str, str] = {}
    failed = []
    for item in getattr(request.app.state, "readiness_checks", []):
        try:
            item.check(request.app)
            checks[item.name] = "ok"
        except Exception as exc:  # a check may fail any way; each failure is named in the 503 and logged
            message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning("readiness check %s failed: %s: %s", item.name, type(exc).__name__, message)
            checks[item.name] = f"failed: {message}"
            failed.append(item.name)
    if failed:
        return JSONResponse(
            status_code=503,
            content={
                "detail": f"not ready: {', '.join(failed)} failed",
                "status": "not ready",
                "checks": checks,
            },
        )
    return ReadyStatus(status="ready", checks=checks)
