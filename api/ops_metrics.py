"""Prometheus metrics of the pipeline and the lake, computed at scrape time: jobs, ingest, quarantine, gates,
accuracy, freshness.

``install_ops_metrics(app)`` registers :class:`OpsCollector` in the app's metrics registry (``api.metrics``), so
``GET /metrics`` carries these families beside the HTTP ones. Nothing is counted in the API process: every value is
read from what the pipeline already records, at scrape time:

* **jobs**: the app database's ``pipeline_runs`` (written by ``lakecast run`` and spark-submit for every job: bronze,
  silver, gold, forecast, final, maintain; ``spark_jobs.runs``; a publish blocked by gates is ``failed``), through
  the app's pool. Cached for
  ``APPDB_TTL_SECONDS`` (runs change without any Iceberg snapshot changing: a failed job publishes nothing).
* **lake**: ``ops.ingest_files``, ``ops.batch_reconciliation``, ``silver.quarantine``, ``ops.gate_results``,
  ``gold.model_scores``, ``gold.model_scores_detail`` and ``gold.fact_sales_monthly`` through the app's serving
  engine (``api.engine``), computed once per snapshot state (``ServingEngine.cached``: a publish drops the
  cached values, exactly as it drops the API's result cache). A table not published yet contributes no samples.

The pipeline job is the label ``job_name``, not ``job``: Prometheus attaches its own ``job`` (the scrape job) to every
series and would rename ours to ``exported_job``.

A source that cannot be read (app database down, engine error) does not break the scrape: its families are left
out, ``lakecast_ops_metrics_source_up{source}`` is 0 and the error is logged; the alert rules
(deploy/prometheus/alerts.yml) page on that. The metric names, types, labels and help texts are :data:`SPECS`,
the one list the collector, docs/operations.md and the alert-rule test follow.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.engine import app_engine
from contracts.app import RUN_STATUSES

log = logging.getLogger("lakecast.api.metrics")

#: Seconds the job metrics (app database) are kept between two scrapes.
APPDB_TTL_SECONDS = 5.0
#: Outcomes of a finished run (contracts.app.RUN_STATUSES without ``running``).
OUTCOMES = tuple(s for s in RUN_STATUSES if s != "running")
#: The accuracy series exported: the champion and the legacy (external) forecast.
ACCURACY_MODELS = ("champion", "external")

INGEST = "ops.ingest_files"
RECONCILIATION = "ops.batch_reconciliation"
QUARANTINE = "silver.quarantine"
GATES = "ops.gate_results"
SCORES = "gold.model_scores"
SCORES_DETAIL = "gold.model_scores_detail"
SALES = "gold.fact_sales_monthly"


@dataclass(frozen=True)
class Spec:
    """One metric family: name (a counter's without ``_total``), type, labels, help."""

    name: str
    kind: str  # "gauge" | "counter"
    labels: tuple[str, ...]
    help: str

    @property
    def sample_name(self) -> str:
        """The name of its samples in the exposition (counters end in ``_total``)."""
        return f"{self.name}_total" if self.kind == "counter" else self.name

    def family(self) -> Metric:
        if self.kind == "counter":
            return CounterMetricFamily(self.name, self.help, labels=self.labels)
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)


SPECS: tuple[Spec, ...] = (
    Spec("lakecast_ops_metrics_source_up", "gauge", ("source",),
         "1 if the source of the pipeline metrics could be read at this scrape (appdb: pipeline_runs; lake: the "
         "Iceberg tables through the serving engine), else 0"),
    # jobs (app database: pipeline_runs)
    Spec("lakecast_job_runs", "counter", ("job_name", "outcome"),
         "Finished runs of a pipeline job by outcome (succeeded, failed, skipped), from pipeline_runs"),
    Spec("lakecast_job_runs_in_progress", "gauge", ("job_name",), "Runs of a job recorded as running now"),
    Spec("lakecast_job_last_run_duration_seconds", "gauge", ("job_name",),
         "Wall time (finished_at - started_at) of the job's most recently finished run, whatever its outcome"),
    Spec("lakecast_job_last_run_failed", "gauge", ("job_name",),
         "1 if the job's most recently finished run failed, else 0"),
    Spec("lakecast_job_last_success_timestamp_seconds", "gauge", ("job_name",),
         "Unix time the job's most recent succeeded run finished"),
    # ingest and quarantine
    Spec("lakecast_ingest_files", "gauge", ("source", "status"),
         "Landing files in the ingest log (ops.ingest_files) by source and status (accepted, rejected)"),
    Spec("lakecast_last_ingest_timestamp_seconds", "gauge", ("source",),
         "Unix time of the source's most recently accepted landing file (ops.ingest_files.ingested_at)"),
    Spec("lakecast_landed_rows", "gauge", ("source_table",),
         "Rows in bronze per bronze table: the sum over batches of their current accounting "
         "(ops.batch_reconciliation, highest seq per batch)"),
    Spec("lakecast_accepted_rows", "gauge", ("source_table",),
         "Rows that passed silver validation per bronze table (current accounting of every batch)"),
    Spec("lakecast_quarantined_rows", "gauge", ("source_table", "rule"),
         "Rows in silver.quarantine by bronze table and the first rule they failed"),
    Spec("lakecast_latest_batch_quarantined_ratio", "gauge", ("source_table",),
         "Quarantined / landed rows of the bronze table's most recently landed batch (current accounting)"),
    # quality gates
    Spec("lakecast_gate_checks", "gauge", ("table_name", "gate"),
         "Checks of the gate on the table in the latest run that evaluated it (one per column checked)"),
    Spec("lakecast_gate_failed_checks", "gauge", ("table_name", "gate"),
         "Failed checks of the gate on the table in the latest run that evaluated it (> 0 blocked that publish)"),
    Spec("lakecast_gate_failures", "counter", ("table_name", "gate"),
         "Failed gate checks in every run recorded in ops.gate_results"),
    # accuracy (served snapshot of the latest competition)
    Spec("lakecast_forecast_accuracy_ratio", "gauge", ("model_id", "lag"),
         "Holdout accuracy (1 - WAPE, floored at 0) by lag, every DFU (gold.model_scores_detail, segment 'all'); "
         "model_id champion or external (the legacy forecast)"),
    Spec("lakecast_forecast_scored_rows", "gauge", ("model_id", "lag"),
         "DFU-months behind lakecast_forecast_accuracy_ratio"),
    Spec("lakecast_competition_accuracy_ratio", "gauge", ("model_id",),
         "Holdout accuracy at the competition lag (each DFU's execution lag by default; gold.model_scores)"),
    # freshness
    Spec("lakecast_latest_actuals_month_timestamp_seconds", "gauge", (),
         "Unix time of the first day (UTC) of the latest month with actuals (max month_start of "
         "gold.fact_sales_monthly)"),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}

Sample = tuple[str, tuple[str, ...], float]  # (family name, label values, value)


def _epoch(value: Any) -> float:
    """Unix seconds of a date or datetime (naive = UTC: Iceberg ``timestamp`` columns hold UTC)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    raise TypeError(f"not a date or datetime: {value!r}")


# ---------------------------------------------------------------------------------------------- app database
def job_samples(conn: Any) -> list[Sample]:
    """The job families from ``pipeline_runs`` (one read-only transaction, so the numbers agree)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        counts = conn.execute(
            "SELECT job, status, count(*) AS n FROM pipeline_runs GROUP BY job, status ORDER BY job, status"
        ).fetchall()
        last = conn.execute(
            "SELECT DISTINCT ON (job) job, status, started_at, finished_at FROM pipeline_runs "
            "WHERE status = ANY(%s) AND finished_at IS NOT NULL ORDER BY job, finished_at DESC, run_id DESC",
            [list(OUTCOMES)],
        ).fetchall()
        success = conn.execute(
            "SELECT job, max(finished_at) AS at FROM pipeline_runs WHERE status = 'succeeded' "
            "AND finished_at IS NOT NULL GROUP BY job ORDER BY job"
        ).fetchall()
    out: list[Sample] = []
    by_job: dict[str, dict[str, int]] = {}
    for r in counts:
        by_job.setdefault(r["job"], {})[r["status"]] = int(r["n"])
    for job, n in by_job.items():
        for outcome in ("succeeded", "failed", *(["skipped"] if "skipped" in n else [])):
            out.append(("lakecast_job_runs", (job, outcome), float(n.get(outcome, 0))))
        out.append(("lakecast_job_runs_in_progress", (job,), float(n.get("running", 0))))
    for r in last:
        seconds = (r["finished_at"] - r["started_at"]).total_seconds()
        out.append(("lakecast_job_last_run_duration_seconds", (r["job"],), seconds))
        out.append(("lakecast_job_last_run_failed", (r["job"],), 1.0 if r["status"] == "failed" else 0.0))
    for r in success:
        out.append(("lakecast_job_last_success_timestamp_seconds", (r["job"],), _epoch(r["at"])))
    return out


# ---------------------------------------------------------------------------------------------- lake
def _ingest(engine: Any) -> Iterator[Sample]:
    rows = engine.query(
        f"SELECT source, status, count(*) AS files, max(ingested_at) AS last_at FROM {INGEST} "
        "GROUP BY source, status ORDER BY source, status"
    )
    for r in rows:
        yield "lakecast_ingest_files", (r["source"], r["status"]), float(r["files"])
        if r["status"] == "accepted" and r["last_at"] is not None:
            yield "lakecast_last_ingest_timestamp_seconds", (r["source"],), _epoch(r["last_at"])


def _reconciliation(engine: Any) -> Iterator[Sample]:
    # each batch's current accounting is its row with the highest seq (the table is an append-only history)
    rows = engine.query(
        f"SELECT r.source_table, r.batch_id, r.rows_landed, r.rows_accepted, r.rows_quarantined, r.ingested_at "
        f"FROM {RECONCILIATION} r JOIN (SELECT source_table, batch_id, max(seq) AS seq FROM {RECONCILIATION} "
        "GROUP BY source_table, batch_id) m ON r.source_table = m.source_table AND r.batch_id = m.batch_id "
        "AND r.seq = m.seq ORDER BY r.source_table, r.batch_id"
    )
    landed: dict[str, int] = {}
    accepted: dict[str, int] = {}
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        table = r["source_table"]
        landed[table] = landed.get(table, 0) + int(r["rows_landed"])
        accepted[table] = accepted.get(table, 0) + int(r["rows_accepted"])
        if r["ingested_at"] is None or int(r["rows_landed"]) == 0:
            continue  # withdrawn: not a delivery any more
        key = (r["ingested_at"], r["batch_id"])
        if table not in latest or key > (latest[table]["ingested_at"], latest[table]["batch_id"]):
            latest[table] = r
    for table in landed:
        yield "lakecast_landed_rows", (table,), float(landed[table])
        yield "lakecast_accepted_rows", (table,), float(accepted[table])
    for table, r in latest.items():
        yield ("lakecast_latest_batch_quarantined_ratio", (table,),
               int(r["rows_quarantined"]) / int(r["rows_landed"]))


def _quarantine(engine: Any) -> Iterator[Sample]:
    rows = engine.query(
        f"SELECT source_table, rule, count(*) AS n FROM {QUARANTINE} GROUP BY source_table, rule "
        "ORDER BY source_table, rule"
    )
    for r in rows:
        yield "lakecast_quarantined_rows", (r["source_table"], r["rule"]), float(r["n"])


def _gates(engine: Any) -> Iterator[Sample]:
    rows = engine.query(
        f"SELECT table_name, gate, run_id, max(checked_at) AS checked_at, count(*) AS checks, "
        f"sum(CASE WHEN passed THEN 0 ELSE 1 END) AS failed FROM {GATES} GROUP BY table_name, gate, run_id "
        "ORDER BY table_name, gate, run_id"
    )
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    failures: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["table_name"], r["gate"])
        failures[key] = failures.get(key, 0) + int(r["failed"])
        if key not in latest or (r["checked_at"], r["run_id"]) > (latest[key]["checked_at"], latest[key]["run_id"]):
            latest[key] = r
    for key, r in latest.items():
        yield "lakecast_gate_checks", key, float(r["checks"])
        yield "lakecast_gate_failed_checks", key, float(r["failed"])
        yield "lakecast_gate_failures", key, float(failures[key])


def _accuracy_detail(engine: Any) -> Iterator[Sample]:
    models = ", ".join(f"'{m}'" for m in ACCURACY_MODELS)
    rows = engine.query(
        f"SELECT model_id, lag, n_rows, accuracy_pct FROM {SCORES_DETAIL} WHERE segment = 'all' "
        f"AND model_id IN ({models}) ORDER BY model_id, lag"
    )
    for r in rows:
        labels = (r["model_id"], str(int(r["lag"])))
        yield "lakecast_forecast_scored_rows", labels, float(r["n_rows"])
        if r["accuracy_pct"] is not None:  # undefined (no actual volume): no sample rather than a made-up 0
            yield "lakecast_forecast_accuracy_ratio", labels, float(r["accuracy_pct"]) / 100.0


def _accuracy_competition(engine: Any) -> Iterator[Sample]:
    models = ", ".join(f"'{m}'" for m in ACCURACY_MODELS)
    rows = engine.query(
        f"SELECT model_id, accuracy_pct FROM {SCORES} WHERE model_id IN ({models}) ORDER BY model_id"
    )
    for r in rows:
        if r["accuracy_pct"] is not None:
            yield "lakecast_competition_accuracy_ratio", (r["model_id"],), float(r["accuracy_pct"]) / 100.0


def _freshness(engine: Any) -> Iterator[Sample]:
    rows = engine.query(f"SELECT max(month_start) AS m FROM {SALES}")
    if rows and rows[0]["m"] is not None:
        yield "lakecast_latest_actuals_month_timestamp_seconds", (), _epoch(rows[0]["m"])


#: table -> the samples read from it (a table not published yet is skipped).
LAKE_READERS: tuple[tuple[str, Callable[[Any], Iterable[Sample]]], ...] = (
    (INGEST, _ingest),
    (RECONCILIATION, _reconciliation),
    (QUARANTINE, _quarantine),
    (GATES, _gates),
    (SCORES_DETAIL, _accuracy_detail),
    (SCORES, _accuracy_competition),
    (SALES, _freshness),
)


def lake_samples(engine: Any) -> list[Sample]:
    """Every lake family from the tables published so far."""
    out: list[Sample] = []
    for table, reader in LAKE_READERS:
        if engine.available(table):
            out.extend(reader(engine))
    return out


# ---------------------------------------------------------------------------------------------- collector
class OpsCollector(Collector):
    """Reads the pipeline's records at scrape time (see the module docstring)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._appdb: tuple[float, list[Sample]] | None = None

    def describe(self) -> Iterable[Metric]:
        # without describe() the registry would call collect() on register, i.e. start the engine in create_app
        return [s.family() for s in SPECS]

    def _job_samples(self) -> list[Sample]:
        pool = getattr(self.app.state, "pool", None)
        if pool is None:
            raise RuntimeError("app database not initialised")
        with self._lock:
            now = time.monotonic()
            if self._appdb is not None and now - self._appdb[0] < APPDB_TTL_SECONDS:
                return self._appdb[1]
            with pool.connection(timeout=5) as conn:
                samples = job_samples(conn)
            self._appdb = (now, samples)
            return samples

    def _lake_samples(self) -> list[Sample]:
        engine = app_engine(self.app)
        return engine.cached(("ops_metrics",), lambda: lake_samples(engine))

    def collect(self) -> Iterable[Metric]:
        families = {s.name: s.family() for s in SPECS}
        up = families["lakecast_ops_metrics_source_up"]
        for source, read in (("appdb", self._job_samples), ("lake", self._lake_samples)):
            try:
                samples = read()
            except Exception as exc:  # the scrape goes on; source_up = 0 says which source failed, and why is logged
                log.warning("pipeline metrics: cannot read %s: %s", source, exc)
                up.add_metric([source], 0.0)  # type: ignore[attr-defined]
                continue
            up.add_metric([source], 1.0)  # type: ignore[attr-defined]
            for name, labels, value in samples:
                families[name].add_metric(list(labels), value)  # type: ignore[attr-defined]
        return [f for f in families.values() if f.samples]


def install_ops_metrics(app: FastAPI) -> OpsCollector:
    """Register the pipeline metrics in the app's registry (``install_metrics`` must have run)."""
    collector = OpsCollector(app)
    app.state.metrics.registry.register(collector)
    return collector
