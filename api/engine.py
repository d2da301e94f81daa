"""The app's serving engine: one QueryEngine per app, created on first use, refreshed when snapshots change.

``EngineDep`` gives a route the app's :class:`ServingEngine` (stored in ``app.state.engine``). It wraps the
configured ``QueryEngine`` (DuckDB locally, Trino in compose; ``lakecast.runtime.engine.get_engine``) and adds
what the API needs around it:

* **Lazy creation**: the engine starts on the first request that needs it (or the readiness check), so the
  governance endpoints and the app's startup never wait for DuckDB and its Iceberg extension.
* **Snapshot watch**: with a Hadoop catalog the current metadata file of every table (its version hint, resolved
  by pyiceberg: ``lakecast.runtime.iceberg``), with the `stack` profile's JDBC catalog every table's metadata
  location (one query, ``lakecast.stack.catalog.metadata_locations``), is looked up at most once per
  ``CHECK_INTERVAL`` seconds; when any
  changed (a job published, or a table appeared), ``engine.refresh()`` re-creates the views and the per-snapshot
  cache is dropped. With a REST catalog (Trino) every query already reads the current snapshot, so nothing is
  refreshed and cached values expire after ``REST_CACHE_SECONDS``.
* **Availability**: ``require(*tables)`` answers 503 with a clear message when a table has not been published
  yet (e.g. the forecast job has not run), instead of an engine error.
* **Result cache**: query results are kept per snapshot state (LRU, ``engine.result_cache_entries``), dropped
  when a snapshot changes; 0 turns it off.
* **Metrics**: queries are timed in the app's Prometheus metrics (``api.metrics.instrument_engine``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request

from api.errors import Unavailable
from api.metrics import instrument_engine
from contracts.registry import TABLES
from lakecast.runtime import iceberg
from lakecast.runtime.engine import get_engine
from lakecast.settings import Settings

#: Seconds between two looks at the Iceberg metadata (a publish shows up at most this late).
CHECK_INTERVAL = 1.0
#: Without a local catalog to watch (REST/Trino), cached values live this long.
REST_CACHE_SECONDS = 60.0

T = TypeVar("T")
_create_lock = threading.Lock()


def _current_metadata(settings: Settings, catalog: Any = None) -> dict[str, str] | None:
    """``namespace.table -> current metadata file`` of every existing table (None: catalog not watchable).

    Hadoop catalog: each table's version hint; JDBC catalog (``catalog``, the `stack` profile): one query of its
    table listing every table's metadata location.
    """
    if catalog is not None:
        from lakecast.stack.catalog import metadata_locations

        return {fqn: loc for fqn, loc in metadata_locations(catalog).items() if fqn in TABLES}
    if settings.catalog.type != "hadoop" or "://" in settings.warehouse:
        return None
    out: dict[str, str] = {}
    root = Path(settings.warehouse)
    for fqn in TABLES:
        namespace, table = fqn.split(".")
        location = iceberg.metadata_location(root / namespace / table)
        if location is not None:
            out[fqn] = location
    return out


class ServingEngine:
    """The app's QueryEngine plus snapshot watching, table availability and a per-snapshot cache."""

    def __init__(self, engine: Any, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.name: str = engine.name
        self._lock = threading.Lock()
        self._catalog = None
        if settings.catalog.type == "jdbc":
            from lakecast.stack.catalog import pyiceberg_catalog

            self._catalog = pyiceberg_catalog(settings)
        self._metadata = _current_metadata(settings, self._catalog)
        self._checked_at = time.monotonic()
        self._cache: dict[Hashable, Any] = {}
        self._cache_epoch = self._epoch()
        self._results: OrderedDict[Hashable, list[dict[str, Any]]] = OrderedDict()
        self._results_epoch = self._cache_epoch
        self._results_lock = threading.Lock()
        self.result_hits = 0

    # ---------------------------------------------------------------- snapshots
    def _epoch(self) -> Hashable:
        if self._metadata is None:
            return int(time.time() // REST_CACHE_SECONDS)
        return tuple(sorted(self._metadata.items()))

    def check_snapshots(self, force: bool = False) -> bool:
        """Refresh the engine if a table's snapshot changed since the last look; True if it did."""
        now = time.monotonic()
        if not force and now - self._checked_at < CHECK_INTERVAL:
            return False
        with self._lock:
            self._checked_at = now
            current = _current_metadata(self.settings, self._catalog)
            if current is None or current == self._metadata:
                return False
            self._metadata = current
            refresh = getattr(self.engine, "refresh", None)
            if refresh is not None:
                refresh()
            self._cache.clear()
            self._cache_epoch = self._epoch()
            with self._results_lock:
                self._results.clear()
                self._results_epoch = self._cache_epoch
            return True

    def available(self, fqn: str) -> bool:
        """True if ``namespace.table`` has been published (always True when the catalog is not watchable)."""
        return self._metadata is None or fqn in self._metadata

    def require(self, *tables: str) -> None:
        """Raise 503 naming the tables that have not been published yet."""
        missing = [t for t in tables if not self.available(t)]
        if missing:
            raise Unavailable(
                f"not published yet: {', '.join(missing)} (run the pipeline: `lakecast run pipeline`)"
            )

    # ---------------------------------------------------------------- queries
    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run one Trino-dialect query (``?`` placeholders) on the engine; rows as dicts.

        Results are kept per snapshot state (``engine.result_cache_entries``, least recently used evicted):
        the served tables are immutable between two snapshots, so the same SQL and parameters give the same
        rows until a job publishes, when the snapshot watch drops the cache. Callers get copies."""
        size = self.settings.engine.result_cache_entries
        if size <= 0:
            return self.engine.query(sql, params)
        key = (sql, tuple(tuple(p) if isinstance(p, list | tuple) else p for p in params or ()))
        epoch = self._epoch()
        with self._results_lock:
            if epoch != self._results_epoch:
                self._results.clear()
                self._results_epoch = epoch
            rows = self._results.get(key)
            if rows is not None:
                self._results.move_to_end(key)
                self.result_hits += 1
        if rows is None:
            rows = self.engine.query(sql, params)
            with self._results_lock:
                if epoch == self._results_epoch:
                    self._results[key] = rows
                    while len(self._results) > size:
                        self._results.popitem(last=False)
        return [dict(r) for r in rows]

    def snapshot_id(self, fqn: str) -> int | None:
        if not self.available(fqn):
            return None
        return self.engine.snapshot_id(fqn)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per snapshot state (small lookups: known models, last month, dimensions)."""
        epoch = self._epoch()
        if epoch != self._cache_epoch:
            self._cache.clear()
            self._cache_epoch = epoch
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def app_engine(app: FastAPI) -> ServingEngine:
    """The app's ServingEngine, created on first call (``app.state.engine``), snapshots checked."""
    serving = getattr(app.state, "engine", None)
    if serving is None:
        with _create_lock:
            serving = getattr(app.state, "engine", None)
            if serving is None:
                settings: Settings = app.state.settings
                serving = ServingEngine(instrument_engine(app, get_engine(settings)), settings)
                app.state.engine = serving
    serving.check_snapshots()
    return serving


def get_serving_engine(request: Request) -> ServingEngine:
    return app_engine(request.app)


def engine_check(app: FastAPI) -> None:
    """Readiness: the engine starts and answers a query."""
    rows = app_engine(app).query("SELECT 1 AS ok")
    if not rows or rows[0].get("ok") != 1:
        raise RuntimeError(f"engine answered {rows!r} to SELECT 1")


EngineDep = Annotated[ServingEngine, Depends(get_serving_engine)]
