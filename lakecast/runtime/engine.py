"""The serving SQL engine behind one small interface: DuckDB over the Iceberg warehouse, or Trino.

SQL is written once in the Trino dialect with tables named `<namespace>.<table>` and transpiled by sqlglot
to the engine's dialect, so the two engines cannot drift apart.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from contracts.registry import TABLES
from lakecast.runtime import iceberg
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


@functools.lru_cache(maxsize=2048)
def _translate(sql: str) -> tuple[str, frozenset[str]]:
    """Trino-dialect SQL -> (DuckDB SQL, the ``namespace.table`` names it reads). Cached: dashboard SQL repeats."""
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    tables = frozenset(f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db and f"{t.db}.{t.name}" in TABLES)
    return tree.sql(dialect="duckdb"), tables


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine:
    """DuckDB in-process over the Iceberg warehouse (offline iceberg extension), in one of two ways per table:

    * **view** (default): ``iceberg_scan`` of the table's current metadata at query time;
    * **materialized** (``materialize`` namespaces, the API's serving engine): the current snapshot is copied
      once into an in-memory DuckDB table and queries read that copy, so a dashboard query does not re-read
      Iceberg metadata and Parquet files every time. Before each query the table's current metadata file is
      looked up (pyiceberg, ``lakecast.runtime.iceberg``); a new snapshot is loaded (whole, under a lock) before
      the query runs, so answers are never stale.
      Tables above ``max_rows`` records stay views.

    Queries run on their own cursors, concurrently.
    """

    name = "duckdb"

    def __init__(self, settings: Settings, materialize: Iterable[str] = (), max_rows: int | None = None):
        import duckdb

        self.settings = settings
        self.warehouse = settings.warehouse
        self.materialize = frozenset(materialize)
        self.max_rows = settings.engine.duckdb_materialize_max_rows if max_rows is None else max_rows
        self._lock = threading.Lock()
        self._served: dict[str, tuple[str, int | None, bool]] = {}  # fqn -> (metadata file, snapshot, materialized)
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
        self.con.execute("CREATE SCHEMA IF NOT EXISTS _serving")
        self.last_query_seconds = 0.0
        self._define_views()

    def table_path(self, fqn: str) -> str:
        namespace, table = fqn.split(".")
        return str(Path(self.warehouse) / namespace / table)

    def metadata_file(self, fqn: str) -> str | None:
        """The table's current metadata file (pyiceberg resolves the Hadoop catalog's version hint), or None."""
        return iceberg.metadata_location(self.table_path(fqn))

    def _define_views(self) -> None:
        """One view per existing table that is not materialized; iceberg_scan resolves the current metadata at
        query time, so new snapshots become visible without reconnecting. Materialized tables load on use."""
        for fqn in TABLES:
            namespace = fqn.split(".")[0]
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            if namespace in self.materialize:
                continue
            path = Path(self.table_path(fqn))
            if iceberg.table_exists(path):
                self.con.execute(
                    f"CREATE OR REPLACE VIEW {fqn} AS SELECT * FROM iceberg_scan({_sql_literal(str(path))})"
                )

    def _ensure(self, fqn: str) -> None:
        """Serve the current snapshot of a materialized-namespace table (load it if it changed; forget it if the
        table is gone, so a dropped table is not served from an old copy)."""
        metadata = self.metadata_file(fqn)
        current = metadata or ""
        if self._served.get(fqn, ("",))[0] == current:
            return
        with self._lock:
            if self._served.get(fqn, ("",))[0] == current:
                return
            if metadata is None:
                self.con.execute(f"DROP VIEW IF EXISTS {fqn}")
                self.con.execute(f"DROP TABLE IF EXISTS _serving.{fqn.replace('.', '__')}")
                del self._served[fqn]
                return
            current_snapshot = iceberg.read_metadata(metadata)
            snap, total = current_snapshot.snapshot_id, current_snapshot.total_records
            scan = f"iceberg_scan({_sql_literal(metadata)})"
            copy = total is not None and total <= self.max_rows
            if copy:
                shadow = "_serving." + fqn.replace(".", "__")
                self.con.execute(f"CREATE OR REPLACE TABLE {shadow} AS SELECT * FROM {scan}")
                self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS SELECT * FROM {shadow}")
            else:
                self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS SELECT * FROM {scan}")
            self._served[fqn] = (metadata, snap, copy)

    def refresh(self) -> None:
        with self._lock:
            self._define_views()

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        translated, tables = _translate(sql)
        for fqn in tables:
            if fqn.split(".")[0] in self.materialize:
                self._ensure(fqn)
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
        """The snapshot queries read: the one loaded for a materialized table, else the table's current one
        (``current-snapshot-id`` of its metadata -- not the newest snapshot, which differs after a rollback)."""
        if fqn.split(".")[0] in self.materialize:
            self._ensure(fqn)
            if fqn in self._served:
                return self._served[fqn][1]
        metadata = self.metadata_file(fqn)
        return None if metadata is None else iceberg.read_metadata(metadata).snapshot_id


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
        """The table's current snapshot: the head of its ``main`` branch (``None`` for a table with no snapshot)."""
        rows = self.query(trino_snapshot_sql(fqn))
        return rows[0]["snapshot_id"] if rows else None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def trino_snapshot_sql(fqn: str) -> str:
    """The Trino SQL for the current snapshot of ``namespace.table``.

    The ``$refs`` metadata table's ``main`` branch is the current snapshot by definition. ``$snapshots`` ordered
    by ``committed_at`` is the newest snapshot instead, which is not current after a rollback.
    """
    namespace, table = fqn.split(".")
    return (
        f"SELECT snapshot_id FROM {_quote(namespace)}.{_quote(table + '$refs')} "
        "WHERE name = 'main' AND type = 'BRANCH'"
    )


ENGINES: dict[str, type] = {"duckdb": DuckDBEngine, "trino": TrinoEngine}


def get_engine(settings: Settings, *, serving: bool = True) -> QueryEngine:
    """Return the QueryEngine configured by ``settings.engine.kind``. ``serving``: as the API serves (DuckDB
    copies the snapshots of ``engine.duckdb_materialize`` namespaces into memory); False for one-off reads
    (CLI counts, a single query), which scan Iceberg directly."""
    if settings.engine.kind == "duckdb":
        return DuckDBEngine(settings, materialize=settings.engine.duckdb_materialize if serving else ())
    return ENGINES[settings.engine.kind](settings)
