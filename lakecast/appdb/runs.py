"""Pipeline run registry (``pipeline_runs``): jobs record each run's start, outcome and details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb

from contracts.app import RUN_STATUSES, RunStatus
from lakecast.appdb.audit import jsonable
from lakecast.appdb.db import connect

__all__ = ["RUN_STATUSES", "list_runs", "record_run"]


def record_run(
    url: str,
    *,
    run_id: str,
    job: str,
    status: RunStatus,
    started_at: dt.datetime | None = None,
    finished_at: dt.datetime | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert or update one run (upsert on run_id) and return the stored row.

    Typical use: ``record_run(url, run_id=r, job="forecast", status="running")`` at start, then the same
    run_id with ``status="succeeded"|"failed"`` and ``details`` at the end. ``finished_at`` defaults to now
    for
    a final status. ``details`` is merged into what is already stored (top-level keys of the later call win).
    ``started_at`` keeps its first value unless given again.
    """
    if status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {RUN_STATUSES}, got {status!r}")
    if finished_at is None and status != "running":
        finished_at = dt.datetime.now(dt.UTC)
    with connect(url) as conn:
        row = conn.execute(
            """
            INSERT INTO pipeline_runs (run_id, job, status, started_at, finished_at, details)
            VALUES (%(run_id)s, %(job)s, %(status)s, coalesce(%(started_at)s, now()), %(finished_at)s,
                    %(details)s)
            ON CONFLICT (run_id) DO UPDATE SET
                job = EXCLUDED.job,
                status = EXCLUDED.status,
                started_at = coalesce(%(started_at)s, pipeline_runs.started_at),
                finished_at = EXCLUDED.finished_at,
                details = pipeline_runs.details || EXCLUDED.details
            RETURNING run_id, job, status, started_at, finished_at, details
            """,
            {
                "run_id": run_id,
                "job": job,
                "status": status,
                "started_at": started_at,
                "finished_at": finished_at,
                "details": Jsonb(jsonable(details or {})),
            },
        ).fetchone()
    assert row is not None
    return row


def list_runs(url: str, *, job: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Most recent runs first (optionally of one job)."""
    with connect(url) as conn:
        if job is None:
            return conn.execute(
                "SELECT * FROM pipeline_runs ORDER BY started_at DESC, run_id LIMIT %s", (limit,)
            ).fetchall()
        return conn.execute(
            "SELECT * FROM pipeline_runs WHERE job = %s ORDER BY started_at DESC, run_id LIMIT %s",
            (job, limit),
        ).fetchall()
