"""App users: lookup, password check, creation (audited)."""

from __future__ import annotations

from typing import Any

from lakecast.appdb.audit import write_audit
from lakecast.appdb.db import Conn
from lakecast.appdb.passwords import dummy_verify, hash_password, verify_password

USER_COLUMNS = "username, display_name, role, active"


def get_user(conn: Conn, username: str) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE username = %s", (username,)).fetchone()


def authenticate(conn: Conn, username: str, password: str) -> dict[str, Any] | None:
    """Return the active user whose password matches, else None (same work whether or not the user exists)."""
    row = conn.execute(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = %s", (username,)
    ).fetchone()
    if row is None:
        dummy_verify(password)
        return None
    if not verify_password(password, row.pop("password_hash")) or not row["active"]:
        return None
    return row


def create_user(
    conn: Conn,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    actor: str = "system",
    if_missing: bool = False,
) -> dict[str, Any] | None:
    """Insert a user and its audit row in one transaction. With ``if_missing``, an existing user is left as is
    and None is returned."""
    pw_hash = hash_password(password)
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash) VALUES (%s, %s, %s, %s)"
            + (" ON CONFLICT (username) DO NOTHING" if if_missing else "")
            + f" RETURNING {USER_COLUMNS}",
            (username, display_name, role, pw_hash),
        ).fetchone()
        if row is None:
            return None
        write_audit(conn, actor=actor, action="user.create", entity="user", entity_id=username, after=row)
    return row
