"""Job-level atomic publish: a job killed (``kill -9``) between two of its table commits leaves every table of the
job served at the previous run's snapshot ids, and a rerun converges on a new manifest.

On the session's tiny lake (the job's tables and the manifest rolled back afterwards). The job runs as
``lakecast run <job>`` in its own process group and is killed as soon as its first table's commit is visible
(pyiceberg polls that table's version hint), i.e. after one table commit and before the job's manifest. Current
snapshots are read with pyiceberg from the metadata files, independently of the Spark session and of the serving
engine under test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyiceberg.table import StaticTable
from pyiceberg.table.snapshots import ancestors_of

from lakecast.runtime import iceberg
from lakecast.runtime.engine import DuckDBEngine, get_engine
from lakecast.runtime.published import MANIFEST_TABLE
from lakecast.runtime.spark import get_spark
from lakecast.settings import Settings
from spark_jobs import publish
from spark_jobs.registry import get_job

pytestmark = [pytest.mark.spark, pytest.mark.integration]


@pytest.fixture
def lake(pipeline) -> Settings:
    """The session's tiny lake (the test rolls the tables its job writes, and the manifest, back afterwards)."""
    return pipeline.settings


def _current(s: Settings, fqn: str) -> int | None:
    snap = iceberg.current_snapshot(Path(s.warehouse).joinpath(*fqn.split(".")))
    return None if snap is None else snap.snapshot_id


def _snapshot(s: Settings, fqn: str) -> int:
    snap = _current(s, fqn)
    assert snap is not None, f"{fqn} has no snapshot"
    return snap


def _manifest_rows(spark, s: Settings) -> int:
    return spark.read.table(f"{s.catalog.name}.{MANIFEST_TABLE}").count()


def _kill_after_first_commit(s: Settings, job: str, first: str, timeout: float = 300) -> float:
    """Run ``lakecast run <job>``; SIGKILL its process group once ``first`` has a new current snapshot. Returns the
    seconds from start to kill; fails if the job ended before that commit was seen."""
    before = _current(s, first)
    env = {**os.environ, "LAKECAST_DATA_DIR": str(s.data_path), "LAKECAST_CATALOG__NAME": s.catalog.name,
           "LAKECAST_SPARK__MASTER": "local[1]", "LAKECAST_SPARK__DRIVER_MEMORY": "1g",
           "LAKECAST_SPARK__SHUFFLE_PARTITIONS": "2"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "lakecast_cli", "run", job], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.monotonic() - started < timeout and proc.poll() is None:
            if _current(s, first) != before:
                os.killpg(proc.pid, signal.SIGKILL)  # the JVM too
                proc.wait(timeout=30)
                return time.monotonic() - started
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    pytest.fail(f"{job} ended (rc {proc.returncode}) or timed out before {first} committed; could not kill it "
                "between two table commits")


def _served(engine, tables) -> dict[str, int | None]:
    return {fqn: engine.snapshot_id(fqn) for fqn in tables}


def _count_at(spark, s: Settings, fqn: str, snapshot_id: int) -> int:
    return spark.read.option("snapshot-id", snapshot_id).table(f"{s.catalog.name}.{fqn}").count()


@pytest.mark.parametrize(("job", "first"), [("silver", "silver.item"), ("gold", "gold.dim_item")])
def test_a_job_killed_between_table_commits_is_served_at_the_previous_run_and_a_rerun_converges(
        spark, lake, rolled_back, job, first):
    tables = [t for t in publish.job_tables(job) if _current(lake, t) is not None]
    with rolled_back(*tables):
        _kill_and_rerun(spark, lake, job, first, tables)


def _kill_and_rerun(spark, s: Settings, job: str, first: str, tables: list[str]) -> None:
    published = publish.published(spark, s)
    before = {fqn: published[fqn].snapshot_id for fqn in tables}
    # the previous run published every table of the job at the snapshot it left current
    assert before == {fqn: _current(s, fqn) for fqn in tables}
    api_engine = get_engine(s)  # as the API serves: gold/ops copied into memory, bronze/silver views
    assert _served(api_engine, tables) == before
    manifest_rows = _manifest_rows(spark, s)

    _kill_after_first_commit(s, job, first)

    after_kill = {fqn: _current(s, fqn) for fqn in tables}
    assert after_kill[first] != before[first], "the killed run committed its first table"
    assert any(after_kill[f] == before[f] for f in tables if f != first), "... and was killed before its last one"
    assert publish.published(spark, s) == published and _manifest_rows(spark, s) == manifest_rows  # no manifest
    # every table of the job is served at the previous run's snapshot: by the long-lived engine, by a fresh one,
    # and by plain views; the rows are that snapshot's (counted by Spark at the same snapshot id)
    for engine in (api_engine, get_engine(s), DuckDBEngine(s)):
        assert _served(engine, tables) == before
    views = DuckDBEngine(s)
    for fqn in (first, *[f for f in tables if after_kill[f] != before[f]]):
        n = views.query(f"SELECT count(*) AS n FROM {fqn}")[0]["n"]
        assert n == _count_at(spark, s, fqn, before[fqn]), fqn

    # the rerun first sets the killed run's tables back to what is published, then publishes a new manifest
    result = get_job(job).load()(spark, s)
    rerun = publish.published(spark, s)
    now = {fqn: _snapshot(s, fqn) for fqn in tables}
    assert {fqn: rerun[fqn].snapshot_id for fqn in tables} == now
    assert {rerun[fqn].run_id for fqn in tables} == {result.run_id}
    assert len({rerun[fqn].seq for fqn in tables}) == 1 and rerun[first].seq > published[first].seq
    assert now[first] not in (before[first], after_kill[first])
    # written on top of the published snapshot: the killed run's commit is not in the table's history any more
    table = StaticTable.from_metadata(str(Path(s.warehouse).joinpath(*first.split("."))))
    ancestry = [a.snapshot_id for a in ancestors_of(table.current_snapshot(), table.metadata)]
    assert before[first] in ancestry and after_kill[first] not in ancestry
    for engine in (api_engine, DuckDBEngine(s)):
        assert _served(engine, tables) == now
    n = views.query(f"SELECT count(*) AS n FROM {first}")[0]["n"]
    assert n == _count_at(spark, s, first, now[first]) == _count_at(spark, s, first, before[first])  # same input


def test_recover_sets_a_killed_runs_commit_back_to_the_published_snapshot(spark, isolated_settings):
    """The start of a run: a table the job writes whose current snapshot a killed run moved past the published one is
    set back (and a table never published is left alone), so a partial writer builds on what is served."""
    import datetime as dt

    from contracts.gold import GATE_RESULTS
    from spark_jobs import io

    s = isolated_settings("recover")
    session = get_spark(s)  # registers the lake's own catalog on the shared session

    def gate_row(run_id: str):
        row = (run_id, "gold.fact_forecast", "not_null", "dfu_id", True, 0.0, 0.0, "ok", dt.datetime(2026, 1, 1))
        return session.createDataFrame([row], io.spark_schema(GATE_RESULTS))

    assert publish.recover(session, s, "final") == {}  # nothing published yet: nothing to do
    io.append(session, s, GATE_RESULTS, gate_row("final-1"))
    assert publish.publish(session, s, "final", "final-1") == {GATE_RESULTS.fqn: _snapshot(s, GATE_RESULTS.fqn)}
    published = _snapshot(s, GATE_RESULTS.fqn)
    io.append(session, s, GATE_RESULTS, gate_row("final-2-killed"))  # committed, never published
    killed = _snapshot(s, GATE_RESULTS.fqn)
    assert DuckDBEngine(s).snapshot_id(GATE_RESULTS.fqn) == published

    assert publish.recover(session, s, "final") == {GATE_RESULTS.fqn: (killed, published)}
    assert _snapshot(s, GATE_RESULTS.fqn) == published
    runs = {r.run_id for r in io.read(session, s, GATE_RESULTS).collect()}
    assert runs == {"final-1"}
    assert publish.recover(session, s, "final") == {}  # idempotent
