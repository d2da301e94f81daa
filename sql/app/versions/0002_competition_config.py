"""Competition config edited through the API: append-only history, the newest row is the active config.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The DDL lives in the .sql files beside this script; this wrapper only sends them to the driver verbatim.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_HERE = Path(__file__).resolve().parent


def _run_sql_file(name: str) -> None:
    # Same as 0001: the multi-statement script goes to the psycopg connection as is, inside alembic's transaction.
    driver = op.get_bind().connection.driver_connection  # None only for a closed/invalidated connection
    if driver is None:
        raise RuntimeError("alembic's connection has no driver connection")
    driver.execute((_HERE / name).read_text(encoding="utf-8"))


def upgrade() -> None:
    _run_sql_file("0002_competition_config.up.sql")


def downgrade() -> None:
    _run_sql_file("0002_competition_config.down.sql")
