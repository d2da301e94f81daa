"""One registered job run, recorded in the app database's ``pipeline_runs``: ``lakecast run`` (and ``demo``, ``batch
withdraw --rerun``) and ``spark-submit spark_jobs/main.py`` both run jobs through :func:`run_job`.

Outcomes: ``running`` at the start, then ``succeeded``, or ``failed`` for any exception. A run whose quality gates
block the publish (:class:`~spark_jobs.gates.GateFailure`) is a failure too: nothing it built is served, so it is
recorded ``failed`` (the metric ``lakecast_job_last_run_failed`` and the alert ``LakecastJobFailed`` follow) with
``details.blocked_by_gates = true``, the failed gates and the job's own run id (the ``run_id`` of its rows in
``ops.gate_results``).

Recording is best effort and never stops a job: with no app database (embedded server not running, or not
migrated yet) nothing is recorded; a record that cannot be written is logged and counted in
:attr:`RunRecorder.failures`, which the caller reports.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pyspark.sql import SparkSession

from lakecast.appdb import server
from lakecast.appdb.runs import record_run
from lakecast.settings import Settings
from spark_jobs.gates import GateFailure
from spark_jobs.registry import get_job

log = logging.getLogger("lakecast.runs")

#: Result attributes copied into ``pipeline_runs.details`` when a job returns them.
DETAIL_KEYS = ("run_id", "published", "rows", "snapshots", "mlflow_run_id", "models", "holdout_timeframes",
               "quarantined_by_rule", "seconds", "pins_source", "tracking_error")
ERROR_CHARS = 2000


@dataclass
class RunRecorder:
    """Writes run records to ``url``; a write that fails is logged and kept in ``failures`` (the job goes on)."""

    url: str
    failures: list[str] = field(default_factory=list)

    def __call__(self, **kw: Any) -> None:
        try:
            record_run(self.url, **kw)
        except psycopg.Error as exc:
            what = f"{kw.get('job')} run {kw.get('run_id')} ({kw.get('status')}): {type(exc).__name__}: {exc}"
            log.warning("could not record %s", what)
            self.failures.append(what)


def recorder(settings: Settings) -> RunRecorder | None:
    """A recorder for the app database when it runs and is migrated, else None (never starts it)."""
    try:
        url = server.database_url(settings, start_if_needed=False)
    except server.AppDbError:  # no app database: the runs are still in Iceberg (ops tables) and MLflow
        return None
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            regclass = conn.execute("SELECT to_regclass('pipeline_runs')").fetchone()  # one row, always
    except psycopg.Error as exc:
        log.warning("app database at %s unreachable, runs are not recorded: %s", url.split("@")[-1], exc)
        return None
    if regclass is None or regclass[0] is None:
        return None  # not migrated yet (the API or `lakecast demo` does that)
    return RunRecorder(url)


def run_details(result: Any) -> dict[str, Any]:
    """The JSON-safe ``details`` of a finished run from the job's result object."""
    out: dict[str, Any] = {k: v for k in DETAIL_KEYS if (v := getattr(result, k, None)) is not None}
    if hasattr(result, "totals"):  # maintenance: files and bytes removed
        out["totals"] = result.totals()
    gates = getattr(result, "gates", None)
    if gates:
        out["gates_passed"] = sum(1 for g in gates if g.passed)
        out["gates_failed"] = [f"{g.table_name}.{g.gate}" for g in gates if not g.passed]
    return json.loads(json.dumps(out, default=str))


def failure_details(exc: BaseException) -> dict[str, Any]:
    """The ``details`` of a failed run: the error, and for a publish blocked by gates which gates and run."""
    out: dict[str, Any] = {"error": f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]}
    if isinstance(exc, GateFailure):
        out["blocked_by_gates"] = True
        out["gates_failed"] = [f"{g.table_name}.{g.gate}" for g in exc.failed]
        if exc.run_id:
            out["run_id"] = exc.run_id
    return out


def run_key(name: str) -> str:
    """The ``pipeline_runs.run_id`` of a new run of job ``name``."""
    return f"{name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"


def run_job(spark: SparkSession, settings: Settings, name: str, record: Callable[..., None] | None,
            progress: Callable[..., None] | None = None) -> tuple[Any, float]:
    """Run registered job ``name``, recording its start and outcome with ``record``; return (result, seconds)."""
    job = get_job(name)
    key = run_key(name)
    if record:
        record(run_id=key, job=name, status="running")
    t0 = time.perf_counter()
    try:
        result = job.load()(spark, settings, progress=progress)
    except BaseException as exc:  # recorded whatever it is (Ctrl-C too, else the run stays 'running'), then re-raised
        if record:
            record(run_id=key, job=name, status="failed",
                   details={"seconds": round(time.perf_counter() - t0, 1), **failure_details(exc)})
        raise
    seconds = time.perf_counter() - t0
    if record:
        record(run_id=key, job=name, status="succeeded", details={"seconds": round(seconds, 1), **run_details(result)})
    return result, seconds
