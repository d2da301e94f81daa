"""Landing-batch lifecycle: list, show, withdraw and replay a batch (what `lakecast batch ...` runs).

A withdrawal removes the batch's rows from bronze (one atomic Iceberg overwrite per bronze table), appends a
``withdrawn`` row to ``ops.batch_lifecycle`` and an audit row to the app database's ``audit_log``; the silver
job that follows rebuilds silver from bronze without it (its own publish), and the next gold run republishes.
Bronze skips a batch whose latest action is ``withdrawn`` even while its landing files are still there, until
``replay`` marks it ``replayed``: bronze then lands the files present now under that batch name.

The audit row and the Iceberg changes go together: the app database is checked first (nothing changes when it
is unreachable), the audit row is inserted in an open transaction, the Iceberg commits follow, and the
transaction commits last. The changed tables are published (one run manifest, spark_jobs/publish.py) as the
last Iceberg commit. If an Iceberg commit or the final commit fails, the tables already changed (the manifest
too) are rolled back to the snapshots they had (Iceberg ``rollback_to_snapshot``, as the tests restore tables) and the
transaction rolls back, so the previous state keeps serving and nothing is audited that did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from contracts.base import TableSpec
from contracts.bronze import BATCH_LIFECYCLE, BRONZE_TABLES, INGEST_FILES
from contracts.landing import SOURCES
from contracts.ops import PUBLISHED_RUNS
from contracts.silver import BATCH_RECONCILIATION, SILVER_TABLES
from lakecast.settings import Settings
from spark_jobs import io, publish
from spark_jobs.landing import list_batches as landing_batches

#: silver tables whose rows carry the landing batch (column) of the source they come from
SILVER_BY_SOURCE = {"sales_lines": ("sales_lines", "_batch_id"),
                    "external_forecast": ("external_forecast", "_batch_id"), "promo_plan": ("promo_plan", "_batch_id")}


class BatchError(ValueError):
    """A batch command cannot run as asked (unknown batch, ambiguous, already withdrawn, no audit log, ...)."""


def lifecycle_state(spark: SparkSession, settings: Settings, source: str | None = None) -> dict[tuple[str, str], Any]:
    """(source, batch_id) -> the latest ops.batch_lifecycle row (its action is the batch's state)."""
    if not io.exists(spark, settings, BATCH_LIFECYCLE):
        return {}
    df = io.read(spark, settings, BATCH_LIFECYCLE)
    if source is not None:
        df = df.where(F.col("source") == source)
    out: dict[tuple[str, str], Any] = {}
    for r in df.collect():
        key = (r.source, r.batch_id)
        if key not in out or r.at > out[key].at:
            out[key] = r
    return out


def _now() -> dt.datetime:
    # whole seconds, like bronze's _ingested_at: a replay marked at T is due until a bronze run at T or later lands it
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ------------------------------------------------------------------------------------------------ reading
def _ingest_summary(spark: SparkSession, settings: Settings) -> dict[tuple[str, str], dict[str, Any]]:
    if not io.exists(spark, settings, INGEST_FILES):
        return {}
    rows = (io.read(spark, settings, INGEST_FILES).groupBy("source", "batch_id")
            .agg(F.count(F.lit(1)).alias("files"), F.sum(F.when(F.col("status") == "rejected", 1).otherwise(0))
                 .alias("files_rejected"), F.sum("rows").alias("rows"), F.sum("physical_lines").alias("lines"),
                 F.min("ingested_at").alias("first_seen"), F.max("ingested_at").alias("last_seen"))
            .collect())
    return {(r.source, r.batch_id): r.asDict() for r in rows}


def _reconciliation(spark: SparkSession, settings: Settings, batch: str | None = None) -> list[Any]:
    if not io.exists(spark, settings, BATCH_RECONCILIATION):
        return []
    df = io.read(spark, settings, BATCH_RECONCILIATION)
    if batch is not None:
        df = df.where(F.col("batch_id") == batch)
    return df.orderBy("source_table", "batch_id", "seq").collect()


def list_all(spark: SparkSession, settings: Settings, source: str | None = None) -> list[dict[str, Any]]:
    """One row per landed batch and source: files, landed / accepted / quarantined (current reconciliation),
    rows superseded by later deliveries, first and last seen, status (active | withdrawn | superseded)."""
    ingest = _ingest_summary(spark, settings)
    states = lifecycle_state(spark, settings)
    recon: dict[tuple[str, str], list[Any]] = {}
    for r in _reconciliation(spark, settings):
        recon.setdefault((r.source_table.removeprefix("bronze."), r.batch_id), []).append(r)
    out = []
    for key in sorted(set(ingest) | set(states) | set(recon)):
        if source is not None and key[0] != source:
            continue
        info, state, history = ingest.get(key, {}), states.get(key), recon.get(key, [])
        last = history[-1] if history else None
        superseded = _superseded_now(history)
        withdrawn = state is not None and state.action == "withdrawn"
        status = ("withdrawn" if withdrawn else
                  "superseded" if last is not None and last.rows_accepted == 0 and superseded > 0 else "active")
        seen = [t for t in (info.get("first_seen"), *(r.recorded_at for r in history[:1])) if t is not None]
        out.append({
            "source": key[0], "batch_id": key[1], "status": status, "files": info.get("files", 0),
            "files_rejected": info.get("files_rejected", 0),
            "landed": last.rows_landed if last else None, "accepted": last.rows_accepted if last else None,
            "quarantined": last.rows_quarantined if last else None, "superseded": superseded,
            "first_seen": min(seen) if seen else None, "last_seen": info.get("last_seen"),
            "last_action": f"{state.action} by {state.actor} at {state.at:%Y-%m-%d %H:%M:%S}" if state else None,
        })
    return out


def _superseded_now(history: list[Any]) -> int:
    """Rows of the batch later deliveries supersede, per its history since the latest receipt."""
    by_other: dict[str, int] = {}
    for r in history:
        if r.event in ("received", "redelivered", "withdrawn"):
            by_other = {}
        elif r.event == "superseded_by":
            by_other[r.other_batch] = r.rows
    return sum(by_other.values())


def show(spark: SparkSession, settings: Settings, batch: str, source: str | None = None) -> dict[str, Any]:
    """One batch: its files (lines, records, rows), quarantine counts per rule, reconciliation history and its
    withdrawals / replays, for every source holding it (or ``source``)."""
    sources = _sources_of(spark, settings, batch, source, require_landed=False)
    files = (io.read(spark, settings, INGEST_FILES).where((F.col("batch_id") == batch) & F.col("source").isin(sources))
             .orderBy("source", "source_file").collect()) if io.exists(spark, settings, INGEST_FILES) else []
    quarantine = SILVER_TABLES["quarantine"]
    rules = (io.read(spark, settings, quarantine)
             .where((F.col("batch_id") == batch) & F.col("source_table").isin([f"bronze.{s}" for s in sources]))
             .groupBy("source_table", "rule").count().orderBy("source_table", F.desc("count"), "rule").collect()
             if io.exists(spark, settings, quarantine) else [])
    recon = [r for r in _reconciliation(spark, settings, batch) if r.source_table.removeprefix("bronze.") in sources]
    actions = (io.read(spark, settings, BATCH_LIFECYCLE).where((F.col("batch_id") == batch)
                                                               & F.col("source").isin(sources))
               .orderBy("at").collect() if io.exists(spark, settings, BATCH_LIFECYCLE) else [])
    return {
        "batch_id": batch,
        "sources": sources,
        "files": [r.asDict() for r in files],
        "quarantine_by_rule": [{"source_table": r.source_table, "rule": r.rule, "rows": r["count"]} for r in rules],
        "reconciliation": [r.asDict() for r in recon],
        "actions": [r.asDict() for r in actions],
        "bronze_rows": {s: _count(spark, settings, BRONZE_TABLES[s], "_batch_id", batch) for s in sources},
    }


def _count(spark: SparkSession, settings: Settings, spec: TableSpec, column: str, batch: str) -> int:
    if not io.exists(spark, settings, spec):
        return 0
    return io.read(spark, settings, spec).where(F.col(column) == batch).count()


def _sources_of(spark: SparkSession, settings: Settings, batch: str, source: str | None,
                require_landed: bool = True) -> list[str]:
    """The sources holding ``batch`` (in ops.ingest_files or ops.batch_lifecycle), or ``[source]`` if it does."""
    if source is not None and source not in SOURCES:
        raise BatchError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
    known = set()
    if io.exists(spark, settings, INGEST_FILES):
        known |= {r.source for r in io.read(spark, settings, INGEST_FILES).where(F.col("batch_id") == batch)
                  .select("source").distinct().collect()}
    if not require_landed:
        known |= {s for s, b in lifecycle_state(spark, settings) if b == batch}
    if source is not None:
        if source not in known:
            raise BatchError(f"batch {batch!r} was never landed for source {source}"
                             + (f" (it was for: {', '.join(sorted(known))})" if known else ""))
        return [source]
    if not known:
        raise BatchError(f"no landed batch {batch!r} (see `lakecast batch list`)")
    return sorted(known)


# ------------------------------------------------------------------------------------------------ changing
@dataclass
class ActionResult:
    action: str
    batch_id: str
    actor: str
    reason: str
    at: dt.datetime
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    audit_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{s}: {', '.join(f'{k} {v:,}' for k, v in c.items())}" for s, c in self.per_source.items()]
        return f"batch {self.batch_id} {self.action} by {self.actor} ({self.reason}): " + "; ".join(parts)


@contextmanager
def audit_transaction(settings: Settings) -> Iterator[Any]:
    """An open app-database transaction for the audit rows of a batch action; raises BatchError (before anything
    changes) when the app database cannot be reached. Never starts the embedded server."""
    import psycopg
    import sqlalchemy.exc

    from lakecast.appdb import migrate, server
    from lakecast.appdb.db import connect

    try:
        url = server.database_url(settings, start_if_needed=False)
        migrate.upgrade(url)  # idempotent; creates audit_log on a fresh database
        conn = connect(url)
    except (server.AppDbError, psycopg.Error, sqlalchemy.exc.SQLAlchemyError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise BatchError(
            f"the app database (audit log) is unreachable, so nothing was changed: {type(exc).__name__}: {first}. "
            "Start it with `lakecast db start` (embedded) or set LAKECAST_POSTGRES__URL (external)") from exc
    with conn, conn.transaction():
        yield conn


@contextmanager
def all_or_nothing(spark: SparkSession, settings: Settings, specs: list[TableSpec]) -> Iterator[None]:
    """Roll every table in ``specs`` back to its snapshot on entry if the block raises."""
    for spec in specs:
        io.ensure_table(spark, settings, spec)
    before = {spec.fqn: io.snapshot_id(spark, settings, spec) for spec in specs}
    try:
        yield
    except BaseException:
        for spec in specs:
            snap, name = before[spec.fqn], io.table_name(settings, spec)
            if io.snapshot_id(spark, settings, spec) == snap:
                continue
            if snap is None:  # the table had no snapshot: empty it again
                io.overwrite(spark, settings, spec, spark.createDataFrame([], io.spark_schema(spec)))
            else:
                spark.sql(f"CALL {settings.catalog.name}.system.rollback_to_snapshot("
                          f"{_sql_str(spec.fqn)}, {snap})")
            spark.sql(f"REFRESH TABLE {name}")
        raise


def _lifecycle_rows(spark: SparkSession, settings: Settings, rows: list[tuple]) -> None:
    io.append(spark, settings, BATCH_LIFECYCLE, spark.createDataFrame(rows, io.spark_schema(BATCH_LIFECYCLE)))


def withdraw(spark: SparkSession, settings: Settings, batch: str, *, reason: str, actor: str,
             source: str | None = None) -> ActionResult:
    """Remove ``batch`` from bronze (every source holding it, or ``source``), mark it withdrawn and audit it.

    Silver still holds the batch until the silver job runs (the CLI runs it right after)."""
    if not reason.strip():
        raise BatchError("a withdrawal needs a reason (--reason)")
    _recover(spark, settings)
    sources = _sources_of(spark, settings, batch, source)
    states = lifecycle_state(spark, settings)
    already = [s for s in sources if (s, batch) in states and states[(s, batch)].action == "withdrawn"]
    if already:
        raise BatchError(f"batch {batch!r} is already withdrawn for {', '.join(already)}; "
                         "`lakecast batch replay` re-lands it")
    ingest = _ingest_summary(spark, settings)
    result = ActionResult("withdrawn", batch, actor, reason, _now())
    for s in sources:
        silver_rows = 0
        if s in SILVER_BY_SOURCE:
            table, col = SILVER_BY_SOURCE[s]
            silver_rows = _count(spark, settings, SILVER_TABLES[table], col, batch)
        q = (io.read(spark, settings, SILVER_TABLES["quarantine"])
             .where((F.col("batch_id") == batch) & (F.col("source_table") == f"bronze.{s}")).count()
             if io.exists(spark, settings, SILVER_TABLES["quarantine"]) else 0)
        result.per_source[s] = {"files": int(ingest.get((s, batch), {}).get("files", 0)),
                                "bronze_rows": _count(spark, settings, BRONZE_TABLES[s], "_batch_id", batch),
                                "silver_rows": silver_rows, "quarantined_rows": q}
    from lakecast.appdb.audit import write_audit

    changed = [BATCH_LIFECYCLE, *(BRONZE_TABLES[s] for s in sources)]
    with (all_or_nothing(spark, settings, [*changed, PUBLISHED_RUNS]),
          audit_transaction(settings) as conn):  # a failed commit of the audit rows rolls the tables back too
        for s, counts in result.per_source.items():
            result.audit_ids.append(write_audit(
                conn, actor=actor, action="batch.withdraw", entity="landing_batch", entity_id=f"{s}/{batch}",
                before={"status": _status(states.get((s, batch))), **counts},
                after={"status": "withdrawn", "reason": reason, "at": result.at}))
        _lifecycle_rows(spark, settings, [
            (s, batch, "withdrawn", actor, reason, result.at, c["files"], c["bronze_rows"], c["silver_rows"],
             c["quarantined_rows"], audit_id)
            for (s, c), audit_id in zip(result.per_source.items(), result.audit_ids, strict=True)])
        for s in sources:
            spec = BRONZE_TABLES[s]
            io.overwrite(spark, settings, spec, spark.createDataFrame([], io.spark_schema(spec)),
                         where=F.col("_batch_id") == batch)
        publish.publish(spark, settings, "batch", _run_id("withdraw", result), [t.fqn for t in changed])
    return result


def _recover(spark: SparkSession, settings: Settings) -> None:
    """Undo a killed batch action (its unpublished lifecycle and bronze commits) before acting again."""
    publish.recover(spark, settings, "batch", tables=[BATCH_LIFECYCLE.fqn, *(t.fqn for t in BRONZE_TABLES.values())])


def _run_id(action: str, result: ActionResult) -> str:
    return f"batch-{action}-{result.batch_id}-{result.at:%Y%m%dT%H%M%S}"


def _status(state: Any) -> str:
    return "active" if state is None or state.action != "withdrawn" else "withdrawn"


def replay(spark: SparkSession, settings: Settings, batch: str, *, actor: str, reason: str = "replay",
           source: str | None = None) -> ActionResult:
    """Clear the withdrawn mark of ``batch`` (or mark an active batch for re-landing) and audit it; the bronze run
    that follows lands the files present now under landing/<source>/<batch>/ (the CLI runs bronze and silver)."""
    _recover(spark, settings)
    sources = _sources_of(spark, settings, batch, source, require_landed=False)
    missing = [s for s in sources if not landing_batches(settings.landing_dir / s).get(batch)]
    if missing:
        raise BatchError(f"nothing to replay: no landing files under "
                         f"{', '.join(str(settings.landing_dir / s / batch) for s in missing)}")
    states = lifecycle_state(spark, settings)
    ingest = _ingest_summary(spark, settings)
    result = ActionResult("replayed", batch, actor, reason, _now())
    for s in sources:
        result.per_source[s] = {"files": len(landing_batches(settings.landing_dir / s)[batch]),
                                "bronze_rows": _count(spark, settings, BRONZE_TABLES[s], "_batch_id", batch)}
    from lakecast.appdb.audit import write_audit

    with (all_or_nothing(spark, settings, [BATCH_LIFECYCLE, PUBLISHED_RUNS]),
          audit_transaction(settings) as conn):
        for s, counts in result.per_source.items():
            result.audit_ids.append(write_audit(
                conn, actor=actor, action="batch.replay", entity="landing_batch", entity_id=f"{s}/{batch}",
                before={"status": _status(states.get((s, batch))),
                        "files_recorded": int(ingest.get((s, batch), {}).get("files", 0)), **counts},
                after={"status": "replayed", "reason": reason, "at": result.at}))
        _lifecycle_rows(spark, settings, [
            (s, batch, "replayed", actor, reason, result.at, c["files"], c["bronze_rows"], 0, 0, audit_id)
            for (s, c), audit_id in zip(result.per_source.items(), result.audit_ids, strict=True)])
        publish.publish(spark, settings, "batch", _run_id("replay", result), [BATCH_LIFECYCLE.fqn])
    return result
