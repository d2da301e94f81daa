"""Login and JWT handling.

Tokens are HS256 JWTs signed with a per-installation secret kept in ``<data_dir>/secrets/jwt.key`` (created
with ``secrets.token_hex(32)``, mode 0600, on first use). Claims: ``sub`` (username), ``role`` (informational:
the role is re-read from the database on every request, so deactivating a user or changing a role takes effect
at once), ``iat``, ``exp``, ``iss``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from pathlib import Path

import jwt

from api.services import Unauthorized
from contracts.app import Token, UserPublic
from lakecast.appdb import users as users_db
from lakecast.appdb.db import Conn
from lakecast.settings import Settings

ALGORITHM = "HS256"
ISSUER = "lakecast"
TOKEN_TTL = dt.timedelta(hours=8)

_secret_lock = threading.Lock()
_secret_cache: dict[Path, str] = {}


def jwt_secret_path(settings: Settings) -> Path:
    return settings.data_path / "secrets" / "jwt.key"


def jwt_secret(settings: Settings) -> str:
    """Read the signing secret, creating it (0600) on first use; safe against concurrent creators."""
    path = jwt_secret_path(settings)
    with _secret_lock:
        cached = _secret_cache.get(path)
        if cached:
            return cached
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            secret = ""
            for _ in range(50):  # another process may be between create and write
                secret = path.read_text().strip()
                if secret:
                    break
                threading.Event().wait(0.02)
            if len(secret) < 32:
                raise RuntimeError(
                    f"JWT secret file {path} is empty or too short; delete it to regenerate"
                ) from None
        else:
            secret = secrets.token_hex(32)
            with os.fdopen(fd, "w") as fh:
                fh.write(secret + "\n")
        _secret_cache[path] = secret
        return secret


def login(conn: Conn, settings: Settings, username: str, password: str) -> Token:
    user = users_db.authenticate(conn, username, password)
    if user is None:
        raise Unauthorized("incorrect username or password")
    return issue_token(UserPublic.model_validate(user), settings)


def issue_token(user: UserPublic, settings: Settings, ttl: dt.timedelta = TOKEN_TTL) -> Token:
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": user.username, "role": user.role, "iat": now, "exp": now + ttl, "iss": ISSUER}
    token = jwt.encode(claims, jwt_secret(settings), algorithm=ALGORITHM)
    return Token(access_token=token, expires_in=int(ttl.total_seconds()))


def username_from_token(token: str, settings: Settings) -> str:
    try:
        claims = jwt.decode(
            token,
            jwt_secret(settings),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
            leeway=10,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired: log in again") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid token") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("invalid token")
    return sub


def user_from_token(conn: Conn, settings: Settings, token: str) -> UserPublic:
    username = username_from_token(token, settings)
    row = users_db.get_user(conn, username)
    if row is None or not row["active"]:
        raise Unauthorized("user unknown or deactivated")
    return UserPublic.model_validate(row)
