"""The Lakecast API application.

``create_app(settings)`` builds the FastAPI app. On startup (lifespan) it locates the app database
(starting the embedded Postgres if needed), runs migrations, optionally seeds the demo users, and opens a
psycopg pool as the
least-privilege ``lakecast_app`` role (embedded mode). Every error answers ``{"detail": "<message>"}``
(validation errors add ``errors``: the per-field list).

Run: ``uv run uvicorn --factory api.main:create_app`` (default settings; the CLI can pass its own).

To add a router: import it and append it to ``ROUTERS`` (one line). To add a readiness check: append a
``ReadinessCheck(name, fn)`` to ``app.state.readiness_checks`` in ``create_app`` (or after it returns).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from psycopg_pool import PoolTimeout

from api.engine import engine_check
from api.metrics import install_metrics
from api.ops_metrics import install_ops_metrics
from api.routes import analytics, auth, chat, clusters, competition, health, metadata, ops, overrides, versions
from api.routes.health import ReadinessCheck, postgres_check
from api.services import ServiceError
from api.services.auth import jwt_secret
from api.ui import mount_ui
from lakecast.appdb.db import open_pool
from lakecast.appdb.migrate import app_role_conninfo, upgrade
from lakecast.appdb.seed import seed_demo_users as _seed_demo_users
from lakecast.appdb.server import database_url
from lakecast.settings import Settings, get_settings

log = logging.getLogger("lakecast.api")

#: Every router the app serves, in registration order. Adding one is one line here.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    overrides.router,
    metadata.router,
    analytics.router,
    competition.router,
    clusters.router,
    ops.router,
    chat.router,
    versions.router,
)


def _startup(app: FastAPI, settings: Settings, seed_demo_users: bool, pool_max_size: int) -> None:
    owner_url = database_url(settings)
    upgrade(owner_url)
    if seed_demo_users:
        created = _seed_demo_users(owner_url)
        if created:
            log.warning("seeded DEMO users %s (password 'lakecast'): demo only", ", ".join(created))
    jwt_secret(settings)  # create the signing key now, not on the first login
    # Embedded: connect as the non-owner app role (cannot touch the audit trigger). External: the URL given.
    pool_url = app_role_conninfo(owner_url) if settings.postgres.mode == "embedded" else owner_url
    app.state.db_url = owner_url
    app.state.pool = open_pool(pool_url, max_size=pool_max_size)


def _first_line(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    message = getattr(diag, "message_primary", None) or str(exc)
    return (message.strip().splitlines() or [type(exc).__name__])[0]


def _validation_message(errors: Sequence[Any]) -> str:
    """One line naming each invalid field, what it should be and, for a value outside a closed set, the value."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") in ("literal_error", "enum") and "input" in err:
            msg += f" (got {repr(err['input'])[:100]})"
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "invalid request: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": _validation_message(exc.errors()), "errors": errors}, status_code=422)

    @app.exception_handler(psycopg.errors.IntegrityError)
    async def _integrity_error(request: Request, exc: psycopg.errors.IntegrityError) -> JSONResponse:
        # The service checks first; this is the database's own guard rails speaking (constraints, triggers).
        return JSONResponse({"detail": f"refused by the database: {_first_line(exc)}"}, status_code=409)

    @app.exception_handler(psycopg.OperationalError)
    async def _db_down(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.error("app database error: %s", exc)
        return JSONResponse({"detail": "app database unavailable"}, status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal server error"}, status_code=500)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        return JSONResponse({"detail": "app database busy or unavailable, retry"}, status_code=503)


def create_app(
    settings: Settings | None = None, *, seed_demo_users: bool = False, pool_max_size: int = 8
) -> FastAPI:
    """Build the API (``settings`` defaults to ``get_settings()``; ``seed_demo_users`` seeds demo users)."""
    s = settings if settings is not None else get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_startup, app, s, seed_demo_users, pool_max_size)
        try:
            yield
        finally:
            pool = getattr(app.state, "pool", None)
            if pool is not None:
                await run_in_threadpool(pool.close)
                app.state.pool = None

    # /docs (Swagger UI) and /redoc from assets installed with the fastapi-offline package: no CDN, so the API
    # docs work on a machine without internet (FastAPI's defaults load them from cdn.jsdelivr.net).
    app = FastAPIOffline(
        title="Lakecast API",
        version="0.1.0",
        summary="Demand-forecast serving and governance (overrides -> approvals -> audit)",
        lifespan=lifespan,
    )
    app.state.settings = s
    app.state.pool = None
    app.state.readiness_checks = [
        ReadinessCheck("postgres", postgres_check), ReadinessCheck("engine", engine_check)]
    # Routes take settings via SettingsDep (api.deps.app_settings reads app.state.settings).
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_metrics(app)  # request counts/latencies per route, engine query times, GET /metrics
    install_ops_metrics(app)  # + pipeline jobs, ingest, quarantine, gates, accuracy, freshness (at scrape time)
    mount_ui(app, s)  # last: the built UI (if any) never shadows an API route
    return app
