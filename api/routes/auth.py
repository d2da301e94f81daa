"""POST /auth/token (OAuth2 password flow: form or JSON) and GET /auth/me."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from api.deps import CurrentUser, PoolDep, SettingsDep
from api.services import auth as auth_service
from contracts.app import ErrorBody, LoginRequest, Me, Token, actions_of

router = APIRouter(prefix="/auth", tags=["auth"])

_LOGIN_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["username", "password"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["password"]},
                    "username": {"type": "string"},
                    "password": {"type": "string", "format": "password"},
                },
            }
        },
        "application/json": {"schema": LoginRequest.model_json_schema()},
    },
}


async def _read_credentials(request: Request) -> LoginRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    data: Any
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        grant = form.get("grant_type", ["password"])[0]
        if grant not in ("password", ""):
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"unsupported grant_type {grant!r} (use 'password')"
            )
        data = {k: form[k][0] for k in ("username", "password") if k in form}
    elif content_type in ("application/json", ""):
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "request body is not valid JSON") from None
    else:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send username and password as application/x-www-form-urlencoded or application/json",
        )
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "body must hold username and password")
    try:
        return LoginRequest.model_validate(data)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"username and password are required (problem with: {', '.join(fields)})",
        ) from None


@router.post(
    "/token",
    response_model=Token,
    summary="Log in: username + password -> bearer token",
    openapi_extra={"requestBody": _LOGIN_BODY},
    responses={401: {"model": ErrorBody}, 415: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def token(request: Request, pool: PoolDep, settings: SettingsDep) -> Token:
    creds = await _read_credentials(request)

    def _login() -> Token:
        with pool.connection(timeout=10) as conn:
            return auth_service.login(conn, settings, creds.username, creds.password)

    return await run_in_threadpool(_login)


@router.get(
    "/me", response_model=Me, summary="The logged-in user and the actions their role may do",
    responses={401: {"model": ErrorBody}},
)
def me(user: CurrentUser) -> Me:
    return Me(**user.model_dump(), permissions=actions_of(user.role))
