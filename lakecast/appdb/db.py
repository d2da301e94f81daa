"""Connections to the app database (psycopg 3): one-off connections and the API's connection pool."""

from __future__ import annotations

from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Conn = psycopg.Connection[dict[str, Any]]
RowT = TypeVar("RowT")


def connect(url: str, *, autocommit: bool = True) -> Conn:
    """Open one connection with dict rows. Autocommit by default: group writes in ``conn.transaction()``."""
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row, connect_timeout=10)


def open_pool(
    url: str, *, min_size: int = 1, max_size: int = 8, name: str = "lakecast-app"
) -> ConnectionPool[Conn]:
    """Open (and wait for) a pool of autocommit, dict-row connections.

    Autocommit matters: every service groups its writes in ``with conn.transaction():``, which is then a real
    BEGIN/COMMIT committed before the response is sent, not a savepoint inside an implicit transaction.
    """
    pool = ConnectionPool[Conn](
        url,
        min_size=min_size,
        max_size=max_size,
        name=name,
        kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 10},
        check=ConnectionPool.check_connection,
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool


def one_row(cursor: psycopg.Cursor[RowT]) -> RowT:
    """The row of a query that returns exactly one (``count(*)``, ``to_regclass(...)``): never None."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row
