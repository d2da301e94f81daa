"""`lakecast run maintain` on a tiny lake of its own: served answers unchanged, the needed snapshots kept, small
files compacted and orphan files older than the safety window removed. File and snapshot counts are read with
pyiceberg from the metadata files, independently of the Spark metadata tables the job itself reports from."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from pyiceberg.table import StaticTable

from contracts.app import RunStatus
from contracts.registry import TABLES
from lakecast.appdb.runs import record_run
from lakecast.appdb.testing import temporary_server
from lakecast.runtime import iceberg
from lakecast.runtime.engine import get_engine
from lakecast.runtime.published import MANIFEST_TABLE
from lakecast.runtime.spark import get_spark
from lakecast.settings import PostgresSettings, Settings
from spark_jobs import io, maintain
from spark_jobs.gold import GoldResult
from spark_jobs.registry import get_job

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def _table(settings: Settings, fqn: str) -> StaticTable:
    location = iceberg.metadata_location(Path(settings.warehouse).joinpath(*fqn.split(".")))
    assert location is not None, fqn
    return StaticTable.from_metadata(location)


def _data_files(settings: Settings, fqn: str) -> int:
    return len(list(_table(settings, fqn).scan().plan_files()))


def _snapshot_ids(settings: Settings, fqn: str) -> set[int]:
    return {s.snapshot_id for s in _table(settings, fqn).metadata.snapshots}


def _served(settings: Settings, fqns: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    engine = get_engine(settings)  # the API's engine: gold/ops materialized, bronze/silver plain views
    return {fqn: sorted((tuple(r.values()) for r in engine.query(f"SELECT * FROM {fqn}")), key=repr) for fqn in fqns}


def test_maintain_keeps_answers_and_needed_snapshots_compacts_and_removes_orphans(spark, isolated_settings):
    from lakecast.generate import generate

    base = isolated_settings("maint")
    spark = get_spark(base)  # registers the `maint` catalog on this session
    generate(base.landing_dir, scale="tiny", seed=11, messy_fraction=0.02)
    for name in ("bronze", "silver"):
        get_job(name).load()(spark, base)
    # three gold runs (each appends gate results: ops.gate_results gets 3 small files)
    old_gold, published_gold, failed_gold = (get_job("gold").load()(spark, base) for _ in range(3))
    fqns = [fqn for fqn, spec in TABLES.items() if io.exists(spark, base, spec)]
    gold_fqns = [f"gold.{n}" for n in published_gold.snapshots]

    # orphans: an old one (a killed job's leftover) and a fresh one (a job still writing) in a data and metadata dir
    dim_item = Path(base.warehouse) / "gold" / "dim_item"
    some_data = next((dim_item / "data").rglob("*.parquet"))
    old_orphan = some_data.with_name("00000-killed-orphan.parquet")
    fresh = some_data.with_name("00000-in-flight.parquet")
    old_hint = dim_item / "metadata" / "abc-version-hint.temp"
    for p in (old_orphan, fresh):
        shutil.copy(some_data, p)
    old_hint.write_text("7")
    orphan_size = old_orphan.stat().st_size  # now: maintenance may expire (and delete) some_data itself
    two_days_ago = time.time() - 2 * 86400
    for p in (old_orphan, old_hint):
        os.utime(p, (two_days_ago, two_days_ago))

    before = _served(base, fqns)
    files_before = {f: _data_files(base, f) for f in ("ops.gate_results", "ops.ingest_files")}
    assert files_before["ops.gate_results"] >= 2
    snaps_before = {f: _snapshot_ids(base, f) for f in fqns}

    with temporary_server() as (_, url):
        # the last *succeeded* gold run is the second one; the third is recorded as failed (its snapshots are
        # current all the same), the first succeeded earlier and is not needed any more
        t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        runs: tuple[tuple[GoldResult, RunStatus], ...] = ((old_gold, "succeeded"), (published_gold, "succeeded"),
                                                          (failed_gold, "failed"))
        for n, (run, status) in enumerate(runs):
            record_run(url, run_id=f"gold-{n + 1}", job="gold", status=status, started_at=t + dt.timedelta(hours=n),
                       finished_at=t + dt.timedelta(hours=n, minutes=1), details={"snapshots": run.snapshots})
        settings = base.model_copy(update={
            "postgres": PostgresSettings(mode="external", url=url),
            "maintenance": base.maintenance.model_copy(update={"snapshot_retention_hours": 0, "retain_last": 1}),
        })
        t0 = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        progress: list[str] = []
        result = maintain.run(spark, settings, progress=lambda stage, detail, *_: progress.append(detail))

    # served answers identical, through the serving engine, for every table; the run manifest only gained the
    # maintain job's rows, one per table whose published snapshot it compacted
    after = _served(base, fqns)
    manifest_before, manifest_after = before.pop(MANIFEST_TABLE), after.pop(MANIFEST_TABLE)
    assert after == before
    added = [r for r in manifest_after if r not in manifest_before]
    assert len(manifest_after) == len(manifest_before) + len(added)
    assert {r[1] for r in added} == {"maintain"} and "ops.gate_results" in {r[3] for r in added}
    engine = get_engine(base)
    for _, _, _, fqn, snap, _ in added:  # the compacted snapshot is current, published, pinned and served
        table = _table(base, fqn)
        current = table.current_snapshot()
        assert current is not None and current.snapshot_id == snap == engine.snapshot_id(fqn), fqn
        assert table.metadata.refs["lakecast_published"].snapshot_id == snap, fqn

    # snapshots kept: the current one and the one the last succeeded run published (tagged), nothing else
    for fqn in gold_fqns:
        kept = _snapshot_ids(base, fqn)
        table = _table(base, fqn)
        current = table.current_snapshot()
        assert current is not None
        name = fqn.split(".")[1]
        published = published_gold.snapshots[name]
        assert current.snapshot_id == failed_gold.snapshots[name]
        assert kept == {current.snapshot_id, published}, fqn
        assert table.metadata.refs["lakecast_run_gold"].snapshot_id == published
        # the run manifest serves the third run's tables: tagged so that expiry keeps them
        assert table.metadata.refs["lakecast_published"].snapshot_id == current.snapshot_id
        assert old_gold.snapshots[name] in snaps_before[fqn] - kept
    for fqn in fqns:  # snapshots committed before the job started are gone unless current or pinned
        table = _table(base, fqn)
        old = {s.snapshot_id for s in table.metadata.snapshots if s.timestamp_ms < t0.timestamp() * 1000 - 1}
        pinned = {r.snapshot_id for r in table.metadata.refs.values()}
        assert old <= pinned, fqn

    # small files compacted (counted by pyiceberg), rows unchanged (above)
    assert _data_files(base, "ops.gate_results") == 1
    assert _data_files(base, "ops.ingest_files") < files_before["ops.ingest_files"]

    # orphans older than the window removed; the in-flight file kept; referenced files all still there
    assert not old_orphan.exists() and not old_hint.exists()
    assert fresh.exists()
    for fqn in fqns:
        for task in _table(base, fqn).scan().plan_files():
            assert Path(task.file.file_path.removeprefix("file:")).exists()

    report = {t.table: t for t in result.tables}
    assert report["gold.dim_item"].orphans_removed == 2
    assert report["gold.dim_item"].orphan_bytes == orphan_size + len("7")
    assert report["ops.gate_results"].data_files_after == 1
    assert report["gold.dim_item"].snapshots_expired == len(snaps_before["gold.dim_item"]) - 2
    assert "last succeeded runs in pipeline_runs: gold gold-2" in result.pins_source
    assert any(p == "gold.dim_item: expire snapshots" for p in progress)
    assert "orphan files removed" in result.summary()
