"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Convention: put the DDL in <revision>_<slug>.up.sql / .down.sql beside this script and keep this file a thin
wrapper (see 0001_initial.py).
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

_HERE = Path(__file__).resolve().parent


def _run_sql_file(name: str) -> None:
    op.get_bind().connection.driver_connection.execute((_HERE / name).read_text(encoding="utf-8"))


def upgrade() -> None:
    _run_sql_file("${up_revision}_TODO.up.sql")


def downgrade() -> None:
    _run_sql_file("${up_revision}_TODO.down.sql")
