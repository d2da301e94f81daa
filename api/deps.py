"""FastAPI dependencies: settings, app-database connections, the current user and role checks.

Use them as ``Annotated`` aliases in route signatures::

    @router.get("/things")
    def things(user: CurrentUser, conn: DbConn, settings: SettingsDep): ...

    @router.post("/things")
    def make(user: PlannerUser, conn: DbConn): ...     # 401 without a token, 403 for other roles
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from psycopg_pool import ConnectionPool

from api.services import ServiceError
from api.services.auth import user_from_token
from contracts.app import Action, UserPublic, may, roles_for
from lakecast.appdb.db import Conn
from lakecast.settings import Settings, get_settings


def app_settings(request: Request) -> Settings:
    """The settings the app was built with (``create_app(settings)`` keeps them in ``app.state.settings``).

    Not ``app.dependency_overrides[get_settings]``: FastAPI re-analyses an overridden dependency's signature
    on every request (pydantic TypeAdapters included), which cost about a fifth of a cached request's time."""
    settings = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


SettingsDep = Annotated[Settings, Depends(app_settings)]

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_pool(request: Request) -> ConnectionPool[Conn]:
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "app database not initialised")
    return pool


PoolDep = Annotated[ConnectionPool[Conn], Depends(get_pool)]


def get_conn(pool: PoolDep) -> Iterator[Conn]:
    """One pooled autocommit connection for the request (services open their own transactions)."""
    with pool.connection(timeout=10) as conn:
        yield conn


DbConn = Annotated[Conn, Depends(get_conn)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    token: Annotated[str | None, Depends(_bearer)], pool: PoolDep, settings: SettingsDep
) -> UserPublic:
    """The token's user. The connection is held only for the lookup, not for the whole request: a slow
    analytics query must not keep a pooled connection (20 such requests would starve the pool)."""
    if not token:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>' (POST /auth/token)")
    try:
        with pool.connection(timeout=10) as conn:
            return user_from_token(conn, settings, token)
    except ServiceError as exc:
        raise _unauthorized(exc.detail) from None


CurrentUser = Annotated[UserPublic, Depends(current_user)]


def require(action: Action) -> Callable[[UserPublic], UserPublic]:
    """Dependency factory: the current user, if their role may do ``action`` (contracts.app.PERMISSIONS), else 403."""
    roles = roles_for(action)
    allowed = ", ".join(roles)

    def check(user: CurrentUser) -> UserPublic:
        if not may(user.role, action):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role {user.role!r} may not do {action} (allowed: {allowed})"
            )
        return user

    check.__name__ = f"require_{action.replace('.', '_')}"
    return check


PlannerUser = Annotated[UserPublic, Depends(require("override.create"))]
ApproverUser = Annotated[UserPublic, Depends(require("override.decide"))]
ContributorUser = Annotated[UserPublic, Depends(require("override.comment"))]
WithdrawerUser = Annotated[UserPublic, Depends(require("override.withdraw"))]
AuditReader = Annotated[UserPublic, Depends(require("audit.read"))]
CompetitionRunner = Annotated[UserPublic, Depends(require("competition.run"))]
CompetitionEditor = Annotated[UserPublic, Depends(require("competition.save"))]
