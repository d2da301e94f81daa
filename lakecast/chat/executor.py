"""Runs guarded chat SQL on the serving engine, read-only and with a statement timeout.

DuckDB (local profile): a private ``DuckDBEngine`` (the same views over the same Iceberg tables as the API's
engine) whose connection is then locked down: file access only below the warehouse's served namespace
directory (``allowed_directories`` + ``enable_external_access = false``), no extension loading, configuration
locked (``lock_configuration``), so even a query that slipped past the guard could not read ``/etc/passwd``,
attach a database, install httpfs or change a setting. Each query runs on its own cursor, interrupted after
``statement_timeout_seconds``.

Trino (compose profile): a connection with ``query_max_execution_time``; read-only access is the Trino
user's (``lakecast``) access control (documented in docs/chat.md), the guard is the first line.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import duckdb
import sqlglot
from sqlglot import exp

from lakecast.settings import Settings

SERVED_NAMESPACE = "gold"


class QueryTimeout(Exception):
    """The statement ran longer than the chat timeout and was cancelled."""


class ChatExecutor(Protocol):
    name: str

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one guarded Trino-dialect SELECT; return (column names, rows)."""
        ...

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Run a fixed internal query (vocabulary, briefing); rows as dicts."""
        ...

    def query_errors(self) -> tuple[type[Exception], ...]:
        """The exceptions the engine raises for a query it cannot run (a bad column, a type error, a limit)."""
        ...

    def refresh(self) -> None:
        """See newly published tables/snapshots."""
        ...

    def snapshot_id(self, fqn: str) -> int | None:
        """The snapshot of ``namespace.table`` queries read now (None if the table does not exist)."""
        ...


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


class SandboxedDuckDB:
    """A locked-down DuckDB connection over the served Iceberg tables."""

    name = "duckdb"

    def __init__(self, engine: Any, settings: Settings, *, timeout_seconds: float = 10.0):
        """``engine`` is a private DuckDBEngine (``get_engine(settings)`` returns a new one per call)."""
        self.timeout_seconds = timeout_seconds
        self._engine = engine
        served_dir = str(Path(settings.warehouse) / SERVED_NAMESPACE) + "/"
        con = self._engine.con
        con.execute(f"SET allowed_directories = ['{served_dir.replace(chr(39), chr(39) * 2)}']")
        con.execute("SET enable_external_access = false")
        con.execute("SET allow_community_extensions = false")
        con.execute("SET lock_configuration = true")
        self._lock = threading.Lock()

    @property
    def connection(self) -> Any:
        return self._engine.con

    def refresh(self) -> None:
        """(Re)define the views of served tables only (the sandbox may not read any other namespace), each over
        its current snapshot (``DuckDBEngine.scan_sql``); ``run`` also re-plans the tables a query reads."""
        from contracts.registry import TABLES

        self._engine.ensure_current(fqn for fqn, spec in TABLES.items() if spec.served)

    def snapshot_id(self, fqn: str) -> int | None:
        return self._engine.snapshot_id(fqn)

    def _ensure_tables(self, translated: str) -> None:
        """Bring the views of the served tables ``translated`` reads to their current snapshots."""
        from contracts.registry import TABLES

        tree = sqlglot.parse_one(translated, read="duckdb")
        names = {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db}
        self._engine.ensure_current(n for n in names if n in TABLES and TABLES[n].served)

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        translated = sqlglot.transpile(sql, read="trino", write="duckdb")[0]
        self._ensure_tables(translated)
        cur = self._engine.con.cursor()
        timer = threading.Timer(self.timeout_seconds, cur.interrupt)
        start = time.perf_counter()
        try:
            timer.start()
            rel = cur.execute(translated)
            cols = [d[0] for d in rel.description]
            rows = [tuple(_plain(v) for v in r) for r in rel.fetchall()]
        except duckdb.Error as exc:
            if time.perf_counter() - start >= self.timeout_seconds * 0.95 and "nterrupt" in str(exc):
                raise QueryTimeout(f"query cancelled after {self.timeout_seconds:g} s (statement timeout)") from None
            raise
        finally:
            timer.cancel()
            cur.close()
        return cols, rows

    def query(self, sql: str) -> list[dict[str, Any]]:
        cols, rows = self.run(sql)
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def query_errors(self) -> tuple[type[Exception], ...]:
        return (duckdb.Error,)


class TrinoExecutor:
    """Trino with a per-query execution-time limit (session property)."""

    name = "trino"

    def __init__(self, settings: Settings, *, timeout_seconds: float = 10.0):
        self.settings = settings
        self.timeout_seconds = timeout_seconds

    def refresh(self) -> None:  # Trino reads the current snapshot on every query
        return None

    def snapshot_id(self, fqn: str) -> int | None:
        import trino  # type: ignore[import-not-found]

        from lakecast.runtime.engine import trino_snapshot_sql

        try:
            rows = self.query(trino_snapshot_sql(fqn))
        except trino.exceptions.TrinoUserError as exc:
            if getattr(exc, "error_name", None) != "TABLE_NOT_FOUND":
                raise
            return None  # not published yet
        return rows[0]["snapshot_id"] if rows else None

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        import trino  # type: ignore[import-not-found]

        e = self.settings.engine
        conn = trino.dbapi.connect(
            host=e.trino_host, port=e.trino_port, user=e.trino_user, catalog=e.trino_catalog,
            session_properties={"query_max_execution_time": f"{max(1, int(self.timeout_seconds))}s"},
        )
        try:
            cur = conn.cursor()
            cur.execute(sql)
            rows = [tuple(_plain(v) for v in r) for r in cur.fetchall()]
            return [d[0] for d in cur.description], rows
        finally:
            conn.close()

    def query(self, sql: str) -> list[dict[str, Any]]:
        cols, rows = self.run(sql)
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def query_errors(self) -> tuple[type[Exception], ...]:
        import trino  # type: ignore[import-not-found]

        return (trino.exceptions.TrinoQueryError, trino.exceptions.DatabaseError)


def make_executor(settings: Settings, *, timeout_seconds: float = 10.0) -> ChatExecutor:
    """Return the chat executor for ``settings.engine.kind``."""
    from lakecast.runtime.engine import get_engine

    if settings.engine.kind == "trino":
        return TrinoExecutor(settings, timeout_seconds=timeout_seconds)
    engine = get_engine(settings, serving=False)  # views only: the sandbox reads Iceberg itself
    if engine.name != "duckdb":
        raise ValueError(f"no chat executor for engine {engine.name!r}")
    return SandboxedDuckDB(engine, settings, timeout_seconds=timeout_seconds)


def jsonable(value: Any) -> Any:
    """Rows go out as JSON: dates as ISO strings, NaN as null."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value
