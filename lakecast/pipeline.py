"""Orchestration used by the CLI: generate, run jobs with progress and timings, demo, summaries."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lakecast.settings import Settings


@dataclass
class PipelineReport:
    timings: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)


def generate_landing(settings: Settings, scale: str, seed: int, messy_fraction: float | None,
                     out: Path | None, console: Console) -> dict:
    """Write landing files with a progress bar; return the generator's manifest."""
    from lakecast.generate import generate

    out_dir = out or settings.landing_dir
    fraction = settings.generate.messy_fraction if messy_fraction is None else messy_fraction
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task(f"generate {scale}", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            progress.update(task, description=f"generate {scale}: {stage}", completed=done, total=total or None)

        return generate(out_dir, scale=scale, seed=seed, messy_fraction=fraction, progress=on_progress)


def run_jobs(settings: Settings, names: list[str], console: Console) -> PipelineReport:
    """Run registered jobs in order in one Spark session, with a spinner per job and timings."""
    from lakecast.runtime.spark import get_spark
    from spark_jobs.registry import get_job

    report = PipelineReport()
    with console.status("starting Spark (local, Iceberg runtime from PyPI) ..."):
        t0 = time.perf_counter()
        spark = get_spark(settings)
        report.timings["spark_start"] = time.perf_counter() - t0
    for name in names:
        job = get_job(name)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task(f"{name}: {job.description}", total=None)

            def on_progress(stage: str, detail: Any, *_: Any) -> None:
                progress.update(task, description=f"{name}: {stage} {detail}")

            t0 = time.perf_counter()
            try:
                result = job.load()(spark, settings, progress=on_progress)
            finally:
                report.timings[name] = time.perf_counter() - t0
        report.results[name] = result
        console.print(f"[green]✓[/] {name} in {report.timings[name]:.1f}s: {_describe(result)}")
    return report


def _describe(result: Any) -> str:
    if hasattr(result, "landed_batches"):
        landed = sum(len(v) for v in result.landed_batches.values())
        skipped = sum(len(v) for v in result.skipped_batches.values())
        rej = len(result.rejected_files)
        return f"{landed} batches landed, {skipped} unchanged (skipped), {rej} files rejected, {sum(result.rows.values()):,} rows"
    if hasattr(result, "quarantined_by_rule"):
        return f"{result.rows.get('sales_lines', 0):,} sales lines, {sum(result.quarantined_by_rule.values()):,} rows quarantined"
    if hasattr(result, "published"):
        passed = sum(1 for g in result.gates if g.passed)
        return f"{len(result.gates)} gates ({passed} passed), published {len(result.snapshots)} tables"
    return str(result)


def run_demo(settings: Settings, scale: str, seed: int, regenerate: bool, console: Console) -> PipelineReport:
    """Generate (if needed) and run the whole pipeline, then print the summary."""
    from lakecast.appdb import server
    from spark_jobs.registry import PIPELINE

    started = time.perf_counter()
    console.rule("[bold]Lakecast demo")
    console.print(f"profile [bold]{settings.profile}[/], data dir [bold]{settings.data_path}[/]")
    with console.status("starting embedded Postgres ..."):
        url = server.start(settings)
    console.print(f"[green]✓[/] Postgres (app database) running: {url.split('@')[-1]}")
    manifest_file = settings.landing_dir / "_manifest.json"
    t0 = time.perf_counter()
    if regenerate or not manifest_file.exists() or json.loads(manifest_file.read_text()).get("scale") != scale:
        generate_landing(settings, scale, seed, None, None, console)
    else:
        console.print(f"[green]✓[/] landing data present ({manifest_file}); use --regenerate to rebuild")
    gen_seconds = time.perf_counter() - t0
    report = run_jobs(settings, list(PIPELINE), console)
    report.timings = {"generate": gen_seconds, **report.timings}
    print_summary(settings, report, console, time.perf_counter() - started)
    return report


def print_summary(settings: Settings, report: PipelineReport, console: Console, total_seconds: float) -> None:
    from lakecast.runtime.engine import get_engine

    engine = get_engine(settings)
    console.rule("[bold]Summary")
    console.print(table_summary(settings, engine))
    rules = engine.query(
        "SELECT source_table, rule, count(*) AS n FROM silver.quarantine GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    ) if _has(engine, "silver.quarantine") else []
    qt = Table("source", "rule", "rows quarantined", title="Quarantine by rule")
    for r in rules:
        qt.add_row(r["source_table"], r["rule"], f"{r['n']:,}")
    console.print(qt)
    gold = report.results.get("gold")
    if gold is not None:
        gt = Table("table", "gates passed", "failures", title=f"Quality gates (run {gold.run_id})")
        by_table: dict[str, list] = {}
        for g in gold.gates:
            by_table.setdefault(g.table_name, []).append(g)
        for name, outcomes in by_table.items():
            failed = [f"{g.gate}({g.column_name or ''}): {g.detail}" for g in outcomes if not g.passed]
            gt.add_row(name, f"{len(outcomes) - len(failed)}/{len(outcomes)}", "; ".join(failed) or "-")
        console.print(gt)
    tt = Table("step", "seconds", title="Timings")
    for k, v in report.timings.items():
        tt.add_row(k, f"{v:.1f}")
    tt.add_row("total", f"{total_seconds:.1f}")
    console.print(tt)
    console.print(f"data: landing {settings.landing_dir} | Iceberg warehouse {settings.warehouse} | "
                  f"Postgres {settings.postgres_dir} | MLflow {settings.mlflow_tracking_uri}")


def _has(engine: Any, fqn: str) -> bool:
    try:
        engine.query(f"SELECT 1 FROM {fqn} LIMIT 1")
        return True
    except Exception:
        return False


def table_summary(settings: Settings, engine: Any = None) -> Table:
    """Rows and current snapshot id of every table that exists, read through the serving engine."""
    from contracts.registry import TABLES
    from lakecast.runtime.engine import get_engine

    engine = engine or get_engine(settings)
    table = Table("table", "rows", "snapshot", "grain", title=f"Tables ({engine.name}) at {dt.datetime.now():%H:%M:%S}")
    for fqn, spec in TABLES.items():
        if not _has(engine, fqn):
            continue
        n = engine.query(f"SELECT count(*) AS n FROM {fqn}")[0]["n"]
        table.add_row(fqn, f"{n:,}", str(engine.snapshot_id(fqn)), spec.grain)
    return table
