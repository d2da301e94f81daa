"""Runs and lineage: pipeline runs (app DB), current Iceberg snapshots, quality gates, quarantine counts.

MLflow: a run whose details carry ``mlflow_run_id`` (the forecast job) links to the MLflow UI when tracking goes
to an MLflow server (``http(s)://`` tracking URI, compose); with the local sqlite backend there is no UI to link
to, so only the id is returned.
"""

from __future__ import annotations

from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import (
    GatePage,
    GateResultOut,
    PipelineRunOut,
    QuarantineRule,
    QuarantineSummary,
    QuarantineTable,
    RunsPage,
    TableSnapshot,
)
from contracts.registry import TABLES
from lakecast.appdb.db import Conn
from lakecast.settings import Settings

GATES = "ops.gate_results"
QUARANTINE = "silver.quarantine"
RECONCILIATION = "ops.batch_reconciliation"


def mlflow_url(settings: Settings, mlflow_run_id: str | None) -> str | None:
    uri = settings.mlflow_tracking_uri
    if not mlflow_run_id or not uri.startswith(("http://", "https://")):
        return None
    return f"{uri.rstrip('/')}/#/runs/{mlflow_run_id}"


def _run(row: dict[str, Any], settings: Settings) -> PipelineRunOut:
    details = dict(row["details"] or {})
    mlflow_id = details.get("mlflow_run_id")
    return PipelineRunOut(run_id=row["run_id"], job=row["job"], status=row["status"], started_at=row["started_at"],
                          finished_at=row["finished_at"], details=details,
                          mlflow_run_id=str(mlflow_id) if mlflow_id else None,
                          mlflow_url=mlflow_url(settings, str(mlflow_id) if mlflow_id else None))


def snapshots(engine: ServingEngine) -> list[TableSnapshot]:
    """Current snapshot id of every served table (once per snapshot state)."""
    served = sorted(fqn for fqn, spec in TABLES.items() if spec.served)
    return engine.cached(("snapshots",), lambda: [TableSnapshot(table=t, snapshot_id=engine.snapshot_id(t))
                                                  for t in served])


def runs(conn: Conn, engine: ServingEngine, settings: Settings, *, job: str | None, status: str | None,
         limit: int, offset: int) -> RunsPage:
    """Pipeline runs newest first (ties by run_id), plus the tables' current snapshots."""
    where, params = [], []
    for column, value in (("job", job), ("status", status)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        total = conn.execute(f"SELECT count(*) AS n FROM pipeline_runs{clause}", params).fetchone()
        rows = conn.execute(
            f"SELECT run_id, job, status, started_at, finished_at, details FROM pipeline_runs{clause} "
            "ORDER BY started_at DESC, run_id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        ).fetchall()
    return RunsPage(items=[_run(r, settings) for r in rows], total=int(total["n"]) if total else 0, limit=limit,
                    offset=offset, snapshots=snapshots(engine))


def gates(engine: ServingEngine, *, run_id: str | None, table: str | None, passed: bool | None, limit: int,
          offset: int) -> GatePage:
    """Quality-gate outcomes, newest check first (stable: run, table, gate, column)."""
    engine.require(GATES)
    clauses, params = ["TRUE"], []
    for column, value in (("run_id", run_id), ("table_name", table), ("passed", passed)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    cond = " AND ".join(clauses)
    total = engine.query(f"SELECT count(*) AS n FROM {GATES} WHERE {cond}", params)
    rows = engine.query(
        f"SELECT * FROM {GATES} WHERE {cond} ORDER BY checked_at DESC, run_id, table_name, gate, "
        f"column_name NULLS FIRST OFFSET {int(offset)} LIMIT {int(limit)}",
        params,
    )
    return GatePage(items=[GateResultOut.model_validate(r) for r in rows], total=int(total[0]["n"]), limit=limit,
                    offset=offset)


def quarantine_summary(engine: ServingEngine) -> QuarantineSummary:
    engine.require(QUARANTINE)
    by_rule = engine.query(
        f"SELECT source_table, rule, count(*) AS n FROM {QUARANTINE} GROUP BY source_table, rule "
        "ORDER BY n DESC, source_table, rule"
    )
    # the reconciliation is a history: each batch's current accounting is its row with the highest seq
    by_table = engine.query(
        f"SELECT r.source_table, sum(r.rows_landed) AS landed, sum(r.rows_accepted) AS accepted, "
        f"sum(r.rows_quarantined) AS quarantined FROM {RECONCILIATION} r JOIN (SELECT source_table, batch_id, "
        f"max(seq) AS seq FROM {RECONCILIATION} GROUP BY source_table, batch_id) m ON r.source_table = "
        "m.source_table AND r.batch_id = m.batch_id AND r.seq = m.seq GROUP BY r.source_table ORDER BY r.source_table"
    ) if engine.available(RECONCILIATION) else []
    return QuarantineSummary(
        total=sum(int(r["n"]) for r in by_rule),
        by_rule=[QuarantineRule(source_table=r["source_table"], rule=r["rule"], rows=int(r["n"])) for r in by_rule],
        by_table=[QuarantineTable(source_table=r["source_table"], rows_landed=int(r["landed"]),
                                  rows_accepted=int(r["accepted"]), rows_quarantined=int(r["quarantined"]))
                  for r in by_table],
    )
