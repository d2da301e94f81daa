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


_DUCKDB_TYPES = {"string": "VARCHAR", "long": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "float": "FLOAT",
                 "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
                 "binary": "BLOB", "uuid": "UUID", "time": "TIME"}


def _duckdb_type(iceberg_type: str) -> str:
    """The DuckDB type of an Iceberg primitive type (``decimal(p, s)`` included)."""
    if iceberg_type.startswith("decimal"):
        return iceberg_type.upper()
    return _DUCKDB_TYPES[iceberg_type]


class DuckDBEngine:
    """DuckDB in-process over the Iceberg warehouse, in one of two ways per table:

    * **view** (default): a view over the data files of the table's current snapshot, planned by pyiceberg
      with no row filter and read by DuckDB's Parquet reader (``scan_sql``); positional deletes are applied.
      The view is re-planned before a query when the table's current metadata file changed.
    * **materialized** (``materialize`` namespaces, the API's serving engine): the current snapshot is copied
      once into an in-memory DuckDB table and queries read that copy, so a dashboard query does not re-read
      Iceberg metadata and Parquet files every time. Tables above ``max_rows`` records stay views.

    Before each query the current metadata file of every table it reads is looked up (pyiceberg,
    ``lakecast.runtime.iceberg``); a new snapshot is planned or loaded (whole, under a lock) before the query
    runs, so answers are never stale.

    Why not ``iceberg_scan``: the iceberg extension of DuckDB 1.4.4 prunes data files by evaluating pushed-down
    filters on the manifest's column bounds and partition summaries. String bounds are truncated (16
    characters by default) and functions such as ``length`` are not monotonic, so e.g. ``length(line_id) >
    1000`` skipped the file holding a 100,006-character id; pushed filters also drop positional deletes
    (``IS NOT NULL``) or crash (``upper(x) = ...``) on tables with delete files. Its pruning cannot be
    switched off, so the engine does not use it. DuckDB's Parquet reader still skips row groups on the
    footer statistics, which it evaluates correctly (docs/decisions.md, "Serving under pushdown").

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
        # data files are immutable: their footers can be cached across queries
        self.con.execute("SET parquet_metadata_cache = true")
        # A JDBC catalog (the `stack` profile): its table list names each table's current metadata file, pyiceberg
        # plans the snapshot from S3 and DuckDB reads the data files there (httpfs).
        self._catalog = None
        self._io: iceberg.Properties = ()
        if settings.catalog.type == "jdbc":
            from lakecast.stack.catalog import pyiceberg_catalog, s3_properties

            self._catalog = pyiceberg_catalog(settings)
            self._io = tuple(sorted(s3_properties(settings).items()))
            self._configure_s3()
        self.con.execute("CREATE SCHEMA IF NOT EXISTS _serving")
        self.last_query_seconds = 0.0
        self._define_views()

    def _configure_s3(self) -> None:
        from urllib.parse import urlparse

        c = self.settings.catalog
        self.con.execute("LOAD httpfs")
        options = [f"REGION {_sql_literal(c.s3_region)}"]
        if c.s3_access_key:
            options += [f"KEY_ID {_sql_literal(c.s3_access_key)}", f"SECRET {_sql_literal(c.s3_secret_key)}"]
        else:
            options.append("PROVIDER credential_chain")
        if c.s3_endpoint:
            endpoint = urlparse(c.s3_endpoint)
            options += [f"ENDPOINT {_sql_literal(endpoint.netloc)}", "URL_STYLE 'path'",
                        f"USE_SSL {'false' if endpoint.scheme == 'http' else 'true'}"]
        self.con.execute(f"CREATE OR REPLACE SECRET lakecast_s3 (TYPE s3, {', '.join(options)})")

    def table_path(self, fqn: str) -> str:
        namespace, table = fqn.split(".")
        return str(Path(self.warehouse) / namespace / table)

    def metadata_file(self, fqn: str) -> str | None:
        """The table's current metadata file (pyiceberg resolves the Hadoop catalog's version hint, or reads the
        JDBC catalog's table list), or None."""
        if self._catalog is not None:
            from lakecast.stack.catalog import metadata_locations

            return metadata_locations(self._catalog).get(fqn)
        return iceberg.metadata_location(self.table_path(fqn))

    def _define_views(self) -> None:
        """One view per existing table that is not materialized; materialized tables load on use."""
        for fqn in TABLES:
            namespace = fqn.split(".")[0]
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            if namespace not in self.materialize:
                self._ensure(fqn, locked=True)

    def scan_sql(self, fqn: str, metadata: str) -> str:
        """A SELECT of the snapshot recorded in ``metadata``: every live data file, positional deletes applied.

        Columns are the Iceberg schema's, in order; a column no data file holds yet (added by schema evolution)
        is NULL. Equality deletes are refused by pyiceberg's planner rather than ignored.
        """
        files = iceberg.snapshot_files(metadata, self._io)
        if not files.data_files:
            cols = ", ".join(f"CAST(NULL AS {_duckdb_type(t)}) AS {_quote(c)}" for c, t in files.columns)
            return f"SELECT {cols} WHERE false"
        data = f"read_parquet([{', '.join(map(_sql_literal, files.data_files))}], union_by_name = true"
        in_files = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {data})").fetchall()}
        cols = ", ".join(f"d.{_quote(c)}" if c in in_files else f"CAST(NULL AS {_duckdb_type(t)}) AS {_quote(c)}"
                         for c, t in files.columns)
        if not files.position_deletes:
            return f"SELECT {cols} FROM {data}) AS d"
        deletes = f"read_parquet([{', '.join(map(_sql_literal, files.position_deletes))}])"
        return (f"SELECT {cols} FROM {data}, filename = true, file_row_number = true) AS d "
                f"ANTI JOIN {deletes} AS x ON regexp_replace(x.file_path, {_sql_literal(iceberg.FILE_SCHEME)}, '') "
                "= d.filename AND x.pos = d.file_row_number")

    def ensure_current(self, fqns: Iterable[str]) -> None:
        """Make the views of ``fqns`` serve each table's current snapshot (called before every query)."""
        for fqn in fqns:
            self._ensure(fqn)

    def _ensure(self, fqn: str, locked: bool = False) -> None:
        """Serve the current snapshot of ``fqn``: re-plan its view or reload its copy if its metadata file changed;
        forget it if the table is gone, so a dropped table is not served from an old copy."""
        metadata = self.metadata_file(fqn)
        current = metadata or ""
        if self._served.get(fqn, ("",))[0] == current:
            return
        if not locked:
            with self._lock:
                self._load(fqn, metadata)
        else:
            self._load(fqn, metadata)

    def _load(self, fqn: str, metadata: str | None) -> None:
        if self._served.get(fqn, ("",))[0] == (metadata or ""):
            return
        shadow = "_serving." + fqn.replace(".", "__")
        if metadata is None:
            self.con.execute(f"DROP VIEW IF EXISTS {fqn}")
            self.con.execute(f"DROP TABLE IF EXISTS {shadow}")
            self._served.pop(fqn, None)
            return
        current_snapshot = iceberg.read_metadata(metadata, self._io)
        snap, total = current_snapshot.snapshot_id, current_snapshot.total_records
        scan = self.scan_sql(fqn, metadata)
        copy = (fqn.split(".")[0] in self.materialize and total is not None and total <= self.max_rows)
        if copy:
            self.con.execute(f"CREATE OR REPLACE TABLE {shadow} AS {scan}")
            self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS SELECT * FROM {shadow}")
        else:
            self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS {scan}")
        self._served[fqn] = (metadata, snap, copy)

    def refresh(self) -> None:
        with self._lock:
            self._define_views()

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        translated, tables = _translate(sql)
        self.ensure_current(tables)
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
        """The snapshot queries read: the table's current one (``current-snapshot-id`` of its metadata -- not the
        newest snapshot, which differs after a rollback), loaded or planned if it changed."""
        self._ensure(fqn)
        return self._served[fqn][1] if fqn in self._served else None


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
