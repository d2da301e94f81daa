"""The serving SQL engine behind one small interface: DuckDB over the Iceberg warehouse, or Trino.

SQL is written once in the Trino dialect with tables named `<namespace>.<table>` and transpiled by sqlglot
to the engine's dialect, so the two engines cannot drift apart.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from contracts.registry import TABLES
from lakecast.runtime import iceberg
from lakecast.runtime.published import COLUMNS as MANIFEST_COLUMNS
from lakecast.runtime.published import MANIFEST_TABLE, PublishedTable, latest
from lakecast.settings import Settings

SOURCE_DIALECT = "trino"
log = logging.getLogger(__name__)


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

    * **view** (default): a view over the data files of the table's served snapshot, planned by pyiceberg
      with no row filter and read by DuckDB's Parquet reader (``scan_sql``); positional deletes are applied.
      The view is re-planned before a query when the served snapshot changed.
    * **materialized** (``materialize`` namespaces, the API's serving engine): the served snapshot is copied
      once into an in-memory DuckDB table and queries read that copy, so a dashboard query does not re-read
      Iceberg metadata and Parquet files every time. Tables above ``max_rows`` records stay views.

    The served snapshot of a table is the one the run manifest (``ops.published_runs``) lists for it -- the tables
    of one job run become visible together, a run killed between two table commits shows none of its tables --
    and the current snapshot of a table no manifest lists (``lakecast.runtime.published``). Before each query the
    current metadata files of the manifest and of every table the query reads are looked up (pyiceberg,
    ``lakecast.runtime.iceberg``); a newly served snapshot is planned or loaded (whole, under a lock) before the
    query runs, so answers are never stale.

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
        # fqn -> (what is served: ("published", snapshot) or ("current", metadata file), snapshot id, materialized)
        self._served: dict[str, tuple[tuple[str, Any], int | None, bool]] = {}
        self._manifest: tuple[str, dict[str, PublishedTable]] = ("", {})  # (its metadata file, table -> entry)
        self._missing_warned: set[tuple[str, int]] = set()
        # Its own spill directory: an in-memory DuckDB spills to `.tmp` in the working directory by default, so two
        # engines (two API workers, or the API beside a benchmark) started in one directory shared one spill file
        # and failed with an IO Error under memory pressure. Removed when the engine is collected.
        self.temp_directory = tempfile.mkdtemp(prefix="lakecast-duckdb-")
        weakref.finalize(self, shutil.rmtree, self.temp_directory, ignore_errors=True)
        self.con = duckdb.connect(
            config={
                "temp_directory": self.temp_directory,
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
        manifest = self.manifest()
        for fqn in TABLES:
            namespace = fqn.split(".")[0]
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
            if namespace not in self.materialize:
                self._ensure(fqn, locked=True, manifest=manifest)

    def manifest(self) -> dict[str, PublishedTable]:
        """``namespace.table -> PublishedTable``: the published snapshot of every table a run manifest lists
        (``ops.published_runs`` read at its current snapshot; re-read when its metadata file changes)."""
        metadata = self.metadata_file(MANIFEST_TABLE)
        if metadata is None:
            return {}
        held = self._manifest
        if held[0] == metadata:
            return held[1]
        cur = self.con.cursor()
        try:
            rel = cur.execute(f"SELECT {', '.join(map(_quote, MANIFEST_COLUMNS))} "
                              f"FROM ({self.scan_sql(MANIFEST_TABLE, metadata)})")
            cols = [d[0] for d in rel.description]
            entries = latest(dict(zip(cols, r, strict=True)) for r in rel.fetchall())
        finally:
            cur.close()
        self._manifest = (metadata, entries)
        return entries

    def _target(self, fqn: str, metadata: str, manifest: dict[str, PublishedTable]) -> tuple[str, Any]:
        """What to serve of ``fqn``: ("published", snapshot id) if a manifest lists it and its metadata still holds
        that snapshot, else ("current", metadata file)."""
        entry = manifest.get(fqn)
        if entry is None:
            return ("current", metadata)
        if iceberg.read_snapshot(metadata, entry.snapshot_id, self._io) is not None:
            return ("published", entry.snapshot_id)
        if (fqn, entry.snapshot_id) not in self._missing_warned:  # the table was re-created outside a run
            self._missing_warned.add((fqn, entry.snapshot_id))
            log.warning("%s: published snapshot %s (%s run %s) is not in the table's metadata; serving its current "
                        "snapshot until a run publishes it", fqn, entry.snapshot_id, entry.job, entry.run_id)
        return ("current", metadata)

    def scan_sql(self, fqn: str, metadata: str, snapshot_id: int | None = None) -> str:
        """A SELECT of the current snapshot recorded in ``metadata`` (or of ``snapshot_id``): every live data file,
        positional deletes applied.

        Columns are the table's current Iceberg schema, in order; a column no data file holds (added by schema
        evolution, or after that snapshot) is NULL. Equality deletes are refused by pyiceberg's planner rather than
        ignored.
        """
        files = iceberg.snapshot_files(metadata, self._io, snapshot_id)
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
        """Make the views of ``fqns`` serve each table's served snapshot (called before every query)."""
        manifest = self.manifest()
        for fqn in fqns:
            self._ensure(fqn, manifest=manifest)

    def _ensure(self, fqn: str, locked: bool = False, manifest: dict[str, PublishedTable] | None = None) -> None:
        """Serve the published (or, if unlisted, current) snapshot of ``fqn``: re-plan its view or reload its copy if
        that changed; forget it if the table is gone, so a dropped table is not served from an old copy."""
        metadata = self.metadata_file(fqn)
        target = None if metadata is None else self._target(
            fqn, metadata, self.manifest() if manifest is None else manifest)
        if fqn in self._served and self._served[fqn][0] == target:
            return
        if not locked:
            with self._lock:
                self._load(fqn, metadata, target)
        else:
            self._load(fqn, metadata, target)

    def _load(self, fqn: str, metadata: str | None, target: tuple[str, Any] | None) -> None:
        if fqn in self._served and self._served[fqn][0] == target:
            return
        shadow = "_serving." + fqn.replace(".", "__")
        if metadata is None or target is None:
            self.con.execute(f"DROP VIEW IF EXISTS {fqn}")
            self.con.execute(f"DROP TABLE IF EXISTS {shadow}")
            self._served.pop(fqn, None)
            return
        pinned = target[1] if target[0] == "published" else None
        served = (iceberg.read_metadata(metadata, self._io) if pinned is None
                  else iceberg.read_snapshot(metadata, pinned, self._io))
        if served is None:  # _target found it in this very metadata file
            raise RuntimeError(f"{fqn}: snapshot {pinned} vanished from {metadata}")
        snap, total = served.snapshot_id, served.total_records
        scan = self.scan_sql(fqn, metadata, pinned)
        copy = (fqn.split(".")[0] in self.materialize and total is not None and total <= self.max_rows)
        if copy:
            self.con.execute(f"CREATE OR REPLACE TABLE {shadow} AS {scan}")
            self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS SELECT * FROM {shadow}")
        else:
            self.con.execute(f"CREATE OR REPLACE VIEW {fqn} AS {scan}")
        self._served[fqn] = (target, snap, copy)

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
        """The snapshot queries read: the one the run manifest publishes, or for a table no manifest lists its
        current one (``current-snapshot-id`` of its metadata -- not the newest snapshot, which differs after a
        rollback), loaded or planned if it changed."""
        self._ensure(fqn)
        return self._served[fqn][1] if fqn in self._served else None


class TrinoEngine:
    """Trino (compose profile): the same SQL (Trino dialect), catalog from Settings, each table the run manifest lists
    read ``FOR VERSION AS OF`` its published snapshot (``pin_snapshots``); SQL that reads no listed table is sent as
    written."""

    name = "trino"
    #: the manifest is read again at most this often (the DuckDB path looks at snapshots once a second too), so a
    #: dashboard query does not cost a second Trino round trip
    MANIFEST_TTL_SECONDS = 1.0

    def __init__(self, settings: Settings):
        self.settings = settings
        self._manifest: tuple[float, dict[str, PublishedTable]] | None = None
        self._manifest_lock = threading.Lock()

    def _run(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
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

    def manifest(self) -> dict[str, PublishedTable]:
        """``namespace.table -> PublishedTable`` read from ``ops.published_runs`` (empty while it does not exist),
        reused for ``MANIFEST_TTL_SECONDS``."""
        with self._manifest_lock:
            now = time.monotonic()
            if self._manifest is not None and now - self._manifest[0] < self.MANIFEST_TTL_SECONDS:
                return self._manifest[1]
            import trino  # type: ignore[import-not-found]

            try:
                current = latest(self._run(trino_manifest_sql()))
            except trino.exceptions.TrinoUserError as exc:  # only "no such table" = nothing published
                if getattr(exc, "error_name", None) != "TABLE_NOT_FOUND":
                    raise
                current = {}
            self._manifest = (now, current)
            return current

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self._run(pin_snapshots(sql, self.manifest()), params)

    def snapshot_id(self, fqn: str) -> int | None:
        """The snapshot queries read: the one the run manifest publishes, else the head of the table's ``main``
        branch (``None`` for a table with no snapshot)."""
        entry = self.manifest().get(fqn)
        if entry is not None:
            return entry.snapshot_id
        rows = self._run(trino_snapshot_sql(fqn))
        return rows[0]["snapshot_id"] if rows else None


def trino_manifest_sql() -> str:
    """The Trino SQL reading the run manifest (every row; ``lakecast.runtime.published.latest`` picks per table)."""
    namespace, table = MANIFEST_TABLE.split(".")
    return f"SELECT {', '.join(map(_quote, MANIFEST_COLUMNS))} FROM {_quote(namespace)}.{_quote(table)}"


def pin_snapshots(sql: str, manifest: dict[str, PublishedTable]) -> str:
    """``sql`` (Trino dialect) with every ``namespace.table`` the manifest lists read ``FOR VERSION AS OF`` its
    published snapshot id; ``sql`` unchanged when it reads no listed table (or already names a version)."""
    if not manifest:
        return sql
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    hits = [t for t in tree.find_all(exp.Table)
            if t.db and f"{t.db}.{t.name}" in manifest and t.args.get("version") is None]
    if not hits:
        return sql
    for t in hits:
        snap = manifest[f"{t.db}.{t.name}"].snapshot_id
        t.set("version", exp.Version(this="VERSION", kind="AS OF", expression=exp.Literal.number(snap)))
    return tree.sql(dialect=SOURCE_DIALECT)


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
