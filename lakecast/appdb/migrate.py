"""Schema migrations of the app database, driven by alembic (scripts and SQL under ``sql/app/``).

``upgrade(url)`` is idempotent and safe to call from several processes at once (API startup, CLI, tests): it
serialises on a Postgres advisory lock and runs all pending revisions in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import make_conninfo

from lakecast.resources import resource_dir

if TYPE_CHECKING:  # alembic + SQLAlchemy cost ~1s to import: only load them when migrating
    from alembic.config import Config
    from sqlalchemy import Connection, Engine

#: Directory holding alembic's env.py and versions/ (the migration SQL lives in versions/ too).
MIGRATIONS_DIR: Path = resource_dir("sql") / "app"
#: Arbitrary constant key of the advisory lock migrations take (pg_advisory_xact_lock).
_LOCK_KEY = 0x1A4EC457
#: Least-privilege role the API connects as when the migration user could create it.
APP_ROLE = "lakecast_app"


def alembic_config() -> Config:
    """Programmatic alembic Config pointing at ``sql/app`` (no ini file needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def make_engine(url: str) -> Engine:
    """SQLAlchemy engine over psycopg 3 for a libpq URL; connections are opened by psycopg from ``url`` as is,
    so unix-socket URLs (``?host=/path``) need no SQLAlchemy-specific rewriting."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(url), poolclass=NullPool)


def take_migration_lock(conn: Connection) -> None:
    """Block until no other process is migrating this database (released at transaction end)."""
    from sqlalchemy import text

    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: latest). No-op when already there."""
    from alembic import command

    cfg = alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            take_migration_lock(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision`` (``"base"`` drops everything, audit trail included: dev/test only)."""
    from alembic import command

    cfg = alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            take_migration_lock(conn)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """Revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Latest revision shipped in ``sql/app/versions``."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def app_role_conninfo(url: str) -> str:
    """Connection string for the least-privilege ``lakecast_app`` role on the same server/database.

    Only meaningful where the server authenticates that role without a password (embedded Postgres: trust over
    its private unix socket). Returns ``url`` unchanged if the role does not exist.
    """
    with psycopg.connect(url, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
    if not exists:
        return url
    return make_conninfo(url, user=APP_ROLE)


def describe(url: str) -> dict[str, Any]:
    """Small status dict for CLIs: current and head revision."""
    return {"current": current_revision(url), "head": head_revision()}
