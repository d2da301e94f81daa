"""Job-level atomic publish: the tables of one job run become visible to the serving engine together or not at all.

Each job commits its tables as before (one Iceberg commit per table) and, as its last step, calls :func:`publish`:
one append to ``ops.published_runs`` (one atomic commit) with the snapshot id of every table the job writes. The
serving engine reads a listed table at that snapshot, not at its current one (``lakecast.runtime.published``), so a
job killed between two table commits leaves every table of the job served at the previous run's snapshot.

At its start a job calls :func:`recover`: each of its tables whose current snapshot is not the published one (a
killed run's commits, never published) is set back to the published snapshot, so the rerun builds on what is
served -- partial writes (``final``'s scenario partition, appended gate results) never pick up a killed run's
rows. Tables no manifest lists yet are left as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from pyspark.sql import SparkSession

from contracts.ops import PUBLISHED_RUNS
from contracts.registry import TABLES
from lakecast.runtime.published import COLUMNS, MANIFEST_TABLE, PublishedTable, latest
from lakecast.settings import Settings
from spark_jobs import io
from spark_jobs.registry import get_job
from spark_jobs.rows import one_row

log = logging.getLogger(__name__)


def job_tables(job: str) -> tuple[str, ...]:
    """Every table ``job`` writes (owned and updated), in registry order: what its manifest lists."""
    j = get_job(job)
    return tuple(dict.fromkeys((*j.produces, *j.updates)))


def _refresh(spark: SparkSession, settings: Settings, fqn: str) -> None:
    # Spark's Iceberg catalog caches table metadata; another process may have committed since
    spark.sql(f"REFRESH TABLE {io.table_name(settings, TABLES[fqn])}")


def published(spark: SparkSession, settings: Settings) -> dict[str, PublishedTable]:
    """``namespace.table -> PublishedTable`` as the serving engine reads it (empty before the first publish)."""
    if not io.exists(spark, settings, PUBLISHED_RUNS):
        return {}
    _refresh(spark, settings, MANIFEST_TABLE)
    rows = io.read(spark, settings, PUBLISHED_RUNS).select(*COLUMNS).collect()
    return latest(r.asDict() for r in rows)


def publish(spark: SparkSession, settings: Settings, job: str, run_id: str,
            tables: Iterable[str] | None = None) -> dict[str, int]:
    """Publish the current snapshot of each of ``tables`` (default: every table ``job`` writes) in one commit to
    ``ops.published_runs``; return ``table -> snapshot id`` published (tables without a snapshot are left out)."""
    snapshots: dict[str, int] = {}
    for fqn in job_tables(job) if tables is None else tables:
        if fqn == MANIFEST_TABLE:
            continue
        spec = TABLES[fqn]
        if not io.exists(spark, settings, spec):
            continue
        _refresh(spark, settings, fqn)
        snap = io.snapshot_id(spark, settings, spec)
        if snap is not None:
            snapshots[fqn] = snap
    if not snapshots:
        return {}
    seq = 1
    if io.exists(spark, settings, PUBLISHED_RUNS):
        _refresh(spark, settings, MANIFEST_TABLE)
        seq = int(one_row(io.read(spark, settings, PUBLISHED_RUNS).agg({"seq": "max"}))[0] or 0) + 1
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [(seq, job, run_id, fqn, snap, at) for fqn, snap in snapshots.items()]
    io.append(spark, settings, PUBLISHED_RUNS, spark.createDataFrame(rows, io.spark_schema(PUBLISHED_RUNS)))
    return snapshots


def recover(spark: SparkSession, settings: Settings, job: str, progress: Callable[..., Any] | None = None,
            tables: Iterable[str] | None = None) -> dict[str, tuple[int | None, int]]:
    """Set each table ``job`` writes (or each of ``tables``) back to its published snapshot where a killed run left
    unpublished commits; return ``table -> (current snapshot before, published snapshot)`` for the tables set back."""
    manifest = published(spark, settings)
    reverted: dict[str, tuple[int | None, int]] = {}
    for fqn in job_tables(job) if tables is None else tables:
        entry = manifest.get(fqn)
        spec = TABLES[fqn]
        if entry is None or not io.exists(spark, settings, spec):
            continue
        _refresh(spark, settings, fqn)
        current = io.snapshot_id(spark, settings, spec)
        if current == entry.snapshot_id:
            continue
        name = io.table_name(settings, spec)
        if spark.sql(f"SELECT 1 FROM {name}.snapshots WHERE snapshot_id = {entry.snapshot_id}").isEmpty():
            # the published snapshot is gone (the table was re-created): nothing to go back to; this run's
            # publish replaces the manifest row
            log.warning("%s: published snapshot %s (run %s) no longer exists; current %s kept", fqn,
                        entry.snapshot_id, entry.run_id, current)
            continue
        spark.sql(f"CALL {settings.catalog.name}.system.set_current_snapshot(table => '{fqn}', "
                  f"snapshot_id => {entry.snapshot_id})")
        _refresh(spark, settings, fqn)
        reverted[fqn] = (current, entry.snapshot_id)
        log.warning("%s: unpublished snapshot %s discarded, back to %s published by %s run %s", fqn, current,
                    entry.snapshot_id, entry.job, entry.run_id)
        if progress:
            progress(job, f"{fqn}: unpublished commits of a killed run discarded")
    return reverted
