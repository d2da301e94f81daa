"""NL chat: retrieval documents with pgvector embeddings, conversations (follow-ups) and the question log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

The DDL lives in the .sql files beside this script; this wrapper only sends them to the driver verbatim.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"
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
    _run_sql_file("0003_chat.up.sql")


def downgrade() -> None:
    _run_sql_file("0003_chat.down.sql")
