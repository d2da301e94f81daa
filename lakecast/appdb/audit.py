"""Writing and reading the append-only audit log.

``write_audit`` must be called on the same connection, inside the same transaction, as the change it records,
so that a change and its audit row commit (or roll back) together.
"""

from __future__ import annotations

from typing import Any

from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb
from pydantic_core import to_jsonable_python

from lakecast.appdb.db import Conn


def jsonable(value: Any) -> Any:
    """dates/datetimes -> ISO strings, Decimals -> strings, models -> dicts (what goes into jsonb)."""
    return None if value is None else to_jsonable_python(value)


def write_audit(
    conn: Conn,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one audit row; returns its id."""
    if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
        raise RuntimeError("write_audit must run inside the transaction of the change it records")
    row = conn.execute(
        "INSERT INTO audit_log (actor, action, entity, entity_id, before, after)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (
            actor,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            None if before is None else Jsonb(jsonable(before)),
            None if after is None else Jsonb(jsonable(after)),
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


AUDIT_COLUMNS = "id, at, actor, action, entity, entity_id, before, after"


def list_audit(
    conn: Conn,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 50,
    offset: int = 0,
    newest_first: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Return (rows, total matching) ordered by id (newest first by default)."""
    where, params = [], []
    for column, value in (("entity", entity), ("entity_id", entity_id), ("actor", actor), ("action", action)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    order = "DESC" if newest_first else "ASC"
    total_row = conn.execute(f"SELECT count(*) AS n FROM audit_log{clause}", params).fetchone()
    rows = conn.execute(
        f"SELECT {AUDIT_COLUMNS} FROM audit_log{clause} ORDER BY id {order} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return rows, int(total_row["n"]) if total_row else 0
