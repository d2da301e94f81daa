"""Withdrawing an approved override: status withdrawn, withdrawn_by, withdrawn_at; the guard trigger allows it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

The DDL lives in the .sql files beside this script; this wrapper only sends them to the driver verbatim.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
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
    _run_sql_file("0004_override_withdraw.up.sql")


def downgrade() -> None:
    _run_sql_file("0004_override_withdraw.down.sql")
