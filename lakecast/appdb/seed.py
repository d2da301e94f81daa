"""Demo users, one per role plus a second planner and approver. DEMO ONLY: they all share a known password."""

from __future__ import annotations

from lakecast.appdb.db import connect
from lakecast.appdb.users import create_user

#: The password of every demo user. Never seed these users on a shared or production database.
DEMO_PASSWORD = "lakecast"

#: (username, display name, role)
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("viewer", "Vera Viewer", "viewer"),
    ("planner", "Paul Planner", "planner"),
    ("planner2", "Petra Planner", "planner"),
    ("approver", "Ada Approver", "approver"),
    ("approver2", "Alan Approver", "approver"),
    ("admin", "Alex Admin", "admin"),
)


def seed_demo_users(url: str, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo users that do not exist yet (idempotent); returns the usernames created.

    Needs a connection allowed to INSERT into users (the migration/owner URL, not the API's app role).
    Existing users are never modified (a changed password or role stays changed).
    """
    created: list[str] = []
    with connect(url) as conn:
        existing = {r["username"] for r in conn.execute("SELECT username FROM users").fetchall()}
        for username, display_name, role in DEMO_USERS:
            if username in existing:
                continue
            row = create_user(
                conn,
                username=username,
                display_name=display_name,
                role=role,
                password=password,
                actor="system:seed",
                if_missing=True,
            )
            if row is not None:
                created.append(username)
    return created
