"""Iceberg lake maintenance: compact small files, rewrite manifests, expire snapshots, remove orphan files.

Every step is one of Iceberg's own Spark procedures (``CALL <catalog>.system.*``), run table by table over every
table in ``contracts.registry``. What is never expired: each table's current snapshot, the snapshot the run
manifest (``ops.published_runs``: what the serving engine reads) lists for it, tagged ``lakecast_published``, the
newest ``maintenance.retain_last`` snapshots, and the snapshots that the last succeeded run of each job published,
as recorded in the app database's ``pipeline_runs`` (``details.snapshots``), tagged ``lakecast_run_<job>``;
Iceberg's expiry keeps every tagged snapshot. When a table is compacted while its published snapshot is current,
the compacted snapshot (same rows) is published in its place before anything expires. Forecast versions are rows
(keyed by scenario, run and origin), not snapshots, so expiry cannot remove one. Compaction and manifest rewrites
commit ``replace`` snapshots: the rows stay the same, only files change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pyspark.sql import SparkSession

from contracts.registry import TABLES
from lakecast.runtime.published import PublishedTable
from lakecast.settings import MaintenanceSettings, Settings
from spark_jobs import io, publish
from spark_jobs.rows import one_row

TAG_PREFIX = "lakecast_run_"
#: tag on the snapshot the run manifest (ops.published_runs) serves for a table
PUBLISHED_TAG = "lakecast_published"


@dataclass
class TableReport:
    table: str
    data_files_before: int = 0
    data_files_after: int = 0
    data_bytes_before: int = 0
    data_bytes_after: int = 0
    snapshots_before: int = 0
    snapshots_after: int = 0
    files_compacted: int = 0  # small data files rewritten ...
    files_written: int = 0  # ... into this many
    manifests_rewritten: int = 0
    expired_files: int = 0  # data, delete, manifest and manifest-list files deleted with the expired snapshots
    orphans_removed: int = 0
    orphan_bytes: int = 0
    disk_bytes_before: int | None = None  # everything under the table's location (local warehouse only)
    disk_bytes_after: int | None = None
    pinned: dict[str, int] = field(default_factory=dict)  # tag -> snapshot id

    @property
    def snapshots_expired(self) -> int:
        return self.snapshots_before - self.snapshots_after + (1 if self.files_compacted else 0) + (
            1 if self.manifests_rewritten else 0)


@dataclass
class MaintainResult:
    tables: list[TableReport] = field(default_factory=list)
    pins_source: str = ""  # where the published-run pins came from (or why there were none)
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        keys = ("data_files_before", "data_files_after", "snapshots_before", "snapshots_after", "files_compacted",
                "manifests_rewritten", "expired_files", "orphans_removed", "orphan_bytes")
        out = {k: sum(getattr(t, k) for t in self.tables) for k in keys}
        out["snapshots_expired"] = sum(t.snapshots_expired for t in self.tables)
        disk = [(t.disk_bytes_before, t.disk_bytes_after) for t in self.tables if t.disk_bytes_before is not None]
        if disk:
            out["disk_bytes_before"] = sum(b for b, _ in disk)
            out["disk_bytes_after"] = sum(a or 0 for _, a in disk)
        return out

    def summary(self) -> str:
        t = self.totals()
        # compaction adds the rewritten files; the replaced ones go when their snapshot expires (retention)
        freed = (f", disk {t['disk_bytes_before']:,} -> {t['disk_bytes_after']:,} bytes" if "disk_bytes_before" in t
                 else "")
        return (f"{len(self.tables)} tables: data files {t['data_files_before']:,} -> {t['data_files_after']:,} "
                f"({t['files_compacted']:,} small files compacted), {t['snapshots_expired']:,} snapshots expired "
                f"({t['expired_files']:,} files deleted), {t['orphans_removed']:,} orphan files removed{freed}; "
                f"pins: {self.pins_source}")


# ---------------------------------------------------------------- what must be kept
def published_snapshots(settings: Settings) -> tuple[dict[str, dict[str, int]], str]:
    """Return (fqn -> {tag: snapshot id}) for the last succeeded run of each job in ``pipeline_runs``, and a note.

    The app database is never started here; when it is not reachable there are no run pins (only the current
    snapshot and the retention protect a snapshot) and the note says so.
    """
    import psycopg

    from lakecast.appdb import server
    from lakecast.appdb.db import connect

    try:
        url = server.database_url(settings, start_if_needed=False)
        with connect(url) as conn:
            regclass = conn.execute("SELECT to_regclass('pipeline_runs') AS t").fetchone()  # one row, always
            if regclass is None or regclass["t"] is None:
                return {}, "app database not migrated: no run pins"
            rows = conn.execute(
                "SELECT DISTINCT ON (job) job, run_id, details -> 'snapshots' AS snapshots FROM pipeline_runs "
                "WHERE status = 'succeeded' AND details ? 'snapshots' ORDER BY job, finished_at DESC NULLS LAST"
            ).fetchall()
    except (server.AppDbError, psycopg.Error) as exc:  # no app database: reported, the rest still runs
        first = (str(exc).strip().splitlines() or [""])[0]
        return {}, f"app database unreachable ({type(exc).__name__}: {first}); no run pins"
    pins: dict[str, dict[str, int]] = {}
    for r in rows:
        snaps = r["snapshots"] if isinstance(r["snapshots"], dict) else json.loads(r["snapshots"] or "{}")
        for name, snap in snaps.items():
            if snap is None:
                continue
            fqn = name if "." in name else f"gold.{name}"
            pins.setdefault(fqn, {})[f"{TAG_PREFIX}{r['job']}"] = int(snap)
    runs = ", ".join(f"{r['job']} {r['run_id']}" for r in rows)
    return pins, f"last succeeded runs in pipeline_runs: {runs or 'none'}"


# ---------------------------------------------------------------- measurements
def _stats(spark: SparkSession, name: str) -> tuple[int, int, int, int]:
    """(data files, data bytes, snapshots, manifests) of the table's current state."""
    files = one_row(spark.sql(f"SELECT count(*) AS n, coalesce(sum(file_size_in_bytes), 0) AS b FROM {name}.files"))
    snaps = one_row(spark.sql(f"SELECT count(*) AS n FROM {name}.snapshots"))
    manifests = one_row(spark.sql(f"SELECT count(*) AS n FROM {name}.manifests"))
    return int(files["n"]), int(files["b"]), int(snaps["n"]), int(manifests["n"])


def _local_dir(settings: Settings, fqn: str) -> Path | None:
    """The table's directory when the warehouse is on the local filesystem (Hadoop catalog), else None."""
    if settings.catalog.type != "hadoop":
        return None
    parsed = urlparse(settings.warehouse)
    if parsed.scheme not in ("", "file"):
        return None
    return Path(unquote(parsed.path) if parsed.scheme else settings.warehouse).joinpath(*fqn.split("."))


def _disk_bytes(path: Path | None) -> int | None:
    if path is None or not path.is_dir():
        return None
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def _local_size(location: str) -> int:
    parsed = urlparse(location)
    path = unquote(parsed.path) if parsed.scheme in ("", "file") else None
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def _ts(moment: dt.datetime) -> str:
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S.%f}'"


# ---------------------------------------------------------------- one table
def maintain_table(spark: SparkSession, settings: Settings, fqn: str, pins: dict[str, int], now: dt.datetime,
                   progress=None, published: PublishedTable | None = None, run_id: str = "") -> TableReport:
    """Pin, compact, rewrite manifests, expire and remove orphans for one table; return what changed.

    ``published``: the table's entry in the run manifest. Its snapshot is tagged ``lakecast_published`` (never
    expired); when it is the current snapshot, the compacted snapshot (same rows) is published in its place
    before anything expires, so the serving engine reads the compacted files."""
    cfg: MaintenanceSettings = settings.maintenance
    cat = settings.catalog.name
    name = f"{cat}.{fqn}"
    rep = TableReport(fqn)
    local = _local_dir(settings, fqn)
    rep.disk_bytes_before = _disk_bytes(local)
    rep.data_files_before, rep.data_bytes_before, rep.snapshots_before, manifests = _stats(spark, name)

    def step(what: str) -> None:
        if progress:
            progress("maintain", f"{fqn}: {what}")

    existing = {r["snapshot_id"] for r in spark.sql(f"SELECT snapshot_id FROM {name}.snapshots").collect()}
    current_before = io.snapshot_id(spark, settings, TABLES[fqn])
    if published is not None:
        pins = {**pins, PUBLISHED_TAG: published.snapshot_id}
    for tag, snap in sorted(pins.items()):
        if snap in existing:
            spark.sql(f"ALTER TABLE {name} CREATE OR REPLACE TAG `{tag}` AS OF VERSION {snap}")
            rep.pinned[tag] = snap

    step("compact small files")
    options = {
        "min-input-files": str(cfg.compact_min_input_files),
        "min-file-size-bytes": str(cfg.small_file_bytes),
        "target-file-size-bytes": str(cfg.target_file_bytes),
    }
    opts = ", ".join(f"'{k}', '{v}'" for k, v in options.items())
    out = spark.sql(f"CALL {cat}.system.rewrite_data_files(table => '{fqn}', options => map({opts}))").first()
    if out is not None:
        rep.files_compacted = int(out["rewritten_data_files_count"])
        rep.files_written = int(out["added_data_files_count"])

    if manifests > cfg.max_manifests:
        step("rewrite manifests")
        out = spark.sql(f"CALL {cat}.system.rewrite_manifests(table => '{fqn}')").first()
        rep.manifests_rewritten = int(out["rewritten_manifests_count"]) if out is not None else 0

    if published is not None and published.snapshot_id == current_before:
        current_after = io.snapshot_id(spark, settings, TABLES[fqn])
        if current_after is not None and current_after != current_before:
            step("publish the compacted snapshot")
            publish.publish(spark, settings, "maintain", run_id, [fqn])
            spark.sql(f"ALTER TABLE {name} CREATE OR REPLACE TAG `{PUBLISHED_TAG}` AS OF VERSION {current_after}")
            rep.pinned[PUBLISHED_TAG] = current_after

    step("expire snapshots")
    older = now - dt.timedelta(hours=cfg.snapshot_retention_hours)
    out = spark.sql(
        f"CALL {cat}.system.expire_snapshots(table => '{fqn}', older_than => {_ts(older)}, "
        f"retain_last => {cfg.retain_last})"
    ).first()
    if out is not None:
        rep.expired_files = sum(int(out[c] or 0) for c in out.asDict() if c.startswith("deleted_"))

    step("remove orphan files")
    orphan_cutoff = _ts(now - dt.timedelta(hours=cfg.orphan_older_than_hours))
    call = f"CALL {cat}.system.remove_orphan_files(table => '{fqn}', older_than => {orphan_cutoff}"
    listed = [r["orphan_file_location"] for r in spark.sql(call + ", dry_run => true)").collect()]
    if listed:
        rep.orphan_bytes = sum(_local_size(p) for p in listed)
        rep.orphans_removed = len(spark.sql(call + ")").collect())

    spark.sql(f"REFRESH TABLE {name}")
    rep.data_files_after, rep.data_bytes_after, rep.snapshots_after, _ = _stats(spark, name)
    rep.disk_bytes_after = _disk_bytes(local)
    return rep


def run(spark: SparkSession, settings: Settings, tables: list[str] | None = None, progress=None) -> MaintainResult:
    """Maintain every existing lake table (or the named ones); return per-table before/after figures."""
    started = time.perf_counter()
    unknown = sorted(set(tables or []) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown tables {unknown}; known: {sorted(TABLES)}")
    pins, note = published_snapshots(settings)
    manifest = publish.published(spark, settings)
    result = MaintainResult(pins_source=note)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run_id = f"maintain-{now:%Y%m%dT%H%M%S}"
    for fqn in tables or list(TABLES):
        if not io.exists(spark, settings, TABLES[fqn]):
            continue
        result.tables.append(maintain_table(spark, settings, fqn, pins.get(fqn, {}), now, progress,
                                            manifest.get(fqn), run_id))
    result.seconds = time.perf_counter() - started
    return result


def report_rows(result: MaintainResult) -> list[dict[str, Any]]:
    """One plain dict per table, for the CLI table (and --format json)."""
    return [
        {"table": t.table, "data_files": f"{t.data_files_before:,} -> {t.data_files_after:,}",
         "snapshots": f"{t.snapshots_before:,} -> {t.snapshots_after:,}", "expired_files": t.expired_files,
         "orphans_removed": t.orphans_removed,
         "disk_bytes": "-" if t.disk_bytes_before is None else f"{t.disk_bytes_before:,} -> {t.disk_bytes_after:,}",
         "pinned": ", ".join(f"{k}={v}" for k, v in t.pinned.items()) or "-"}
        for t in result.tables
    ]
