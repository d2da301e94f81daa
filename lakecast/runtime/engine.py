"""The serving SQL engine behind one small interface: DuckDB over the Iceberg warehouse, or Trino.

SQL is written once in the Trino dialect with tables named `<namespace>.<table>` and transpiled by sqlglot
to the engine's dialect, so the two engines cannot drift apart.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Protocol

import sqlglot

from contracts.registry import TABLES
from lakecast.settings import Settings

SOURCE_DIALECT = "trino"


class QueryEngine(Protocol):
    name: str

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run one read-only query written in the Trino dialect; return rows as dicts."""
        ...

    def snapshot_id(self, fqn: str) -> int | None:
        """Return the Iceberg snapshot id the engine currently reads for ``namespace.table``."""
        ...


def duckdb_extension_dir() -> str:
    import duckdb_ext  # namespace package shipped by the duckdb-ext-* wheels

    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


class DuckDBEngine:
    """DuckDB in-process, reading each table's current Iceberg snapshot via the iceberg extension (offline)."""

    name = "duckdb"

    def __init__(self, settings: Settings):
        import duckdb

        self.settings = settings
        self.warehouse = settings.warehouse
        self._lock = threading.Lock()
        self.con = duckdb.connect(
            config={
                "extension_directory": duckdb_extension_dir(),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": settings.engine.duckdb_threads,
                "memory_limit": settings.engine.duckdb_memory_limit,
            }
        )
        self.con.execute("LOAD iceberg")
        self.last_query_seconds = 0.0
        self._define_views()

    def table_path(self, fqn: str) -> str:
        namespace, table = fqn.split(".")
        return str(Path(self.warehouse) / namespace / table)

    def _define_views(self) -> None:
        """One view per existing table; iceberg_scan resolves version-hint.text at query time, so new
        snapshots become visible without reconnecting."""
        for fqn in TABLES:
            namespace, table = fqn.split(".")
            path = Path(self.table_path(fqn))
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            if (path / "metadata" / "version-hint.text").exists():
                self.con.execute(
                    f"CREATE OR REPLACE VIEW {namespace}.{table} AS SELECT * FROM iceberg_scan('{path}')"
                )

    def refresh(self) -> None:
        with self._lock:
            self._define_views()

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        translated = sqlglot.transpile(sql, read=SOURCE_DIALECT, write="duckdb")[0]
        with self._lock:
            start = time.perf_counter()
            cur = self.con.cursor()
            try:
                rel = cur.execute(translated, params or [])
                cols = [d[0] for d in rel.description]
                rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
            finally:
                cur.close()
            self.last_query_seconds = time.perf_counter() - start
        return rows

    def snapshot_id(self, fqn: str) -> int | None:
        path = self.table_path(fqn)
        rows = self.con.execute(
            f"SELECT snapshot_id FROM iceberg_snapshots('{path}') ORDER BY timestamp_ms DESC LIMIT 1"
        ).fetchall()
        return rows[0][0] if rows else None


class TrinoEngine:
    """Trino (compose profile): the same SQL, sent as written (Trino dialect), catalog from Settings."""

    name = "trino"

    def __init__(self, settings: Settings):
        self.settings = settings

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        try:
            import trino  # type: ignore[import-not-found]
        except ImportError as exc:  # the client is only installed in the compose image
            raise RuntimeError("the `trino` client package is required for engine.kind=trino") from exc
        e = self.settings.engine
        conn = trino.dbapi.connect(host=e.trino_host, port=e.trino_port, user=e.trino_user, catalog=e.trino_catalog)
        cur = conn.cursor()
        cur.execute(sql, params or None)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def snapshot_id(self, fqn: str) -> int | None:
        namespace, table = fqn.split(".")
        rows = self.query(
            f'SELECT snapshot_id FROM {namespace}."{table}$snapshots" ORDER BY committed_at DESC LIMIT 1'
        )
        return rows[0]["snapshot_id"] if rows else None


ENGINES: dict[str, type] = {"duckdb": DuckDBEngine, "trino": TrinoEngine}


def get_engine(settings: Settings) -> QueryEngine:
    """Return the QueryEngine configured by ``settings.engine.kind``."""
    return ENGINES[settings.engine.kind](settings)
