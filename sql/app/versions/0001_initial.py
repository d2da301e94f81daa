"""Initial app schema: users, overrides, comments, approvals, append-only audit_log, pipeline_runs.

Revision ID: 0001
Revises:
Create Date: 2025-11-22

The DDL lives in the .sql files beside this script; this wrapper only sends them to the driver verbatim.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_HERE = Path(__file__).resolve().parent


def _run_sql_file(name: str) -> None:
    # Straight to the psycopg connection, without parameters: the multi-statement script is sent as is (no
    # placeholder parsing, so plpgsql's RAISE '%' is fine), inside alembic's migration transaction.
    driver = op.get_bind().connection.driver_connection  # None only for a closed/invalidated connection
    if driver is None:
        raise RuntimeError("alembic's connection has no driver connection")
    driver.execute((_HERE / name).read_text(encoding="utf-8"))


def upgrade() -> None:
    _run_sql_file("0001_initial.up.sql")


def downgrade() -> None:
    _run_sql_file("0001_initial.down.sql")
