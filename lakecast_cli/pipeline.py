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


def generate_landing(
    settings: Settings, scale: str, seed: int, messy_fraction: float | None, out: Path | None, console: Console
) -> dict:
    """Write landing files with a progress bar; return the generator's manifest."""
    from lakecast.generate import generate

    out_dir = out or settings.landing_dir
    fraction = settings.generate.messy_fraction if messy_fraction is None else messy_fraction
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"generate {scale}", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            progress.update(task, description=f"generate {scale}: {stage}", completed=done, total=total or None)

        return generate(out_dir, scale=scale, seed=seed, messy_fraction=fraction, progress=on_progress)


LOG_PROGRESS_EVERY = 30.0  # seconds between progress lines when the output is not a terminal


def run_jobs(settings: Settings, names: list[str], console: Console) -> PipelineReport:
    """Run registered jobs in order in one Spark session, with a spinner per job and timings.

    Each job run is also recorded in the app database (pipeline_runs) when that database is running
    (``spark_jobs.runs``); records that could not be written are reported at the end."""
    from lakecast.runtime.spark import get_spark
    from spark_jobs.registry import get_job
    from spark_jobs.runs import recorder, run_job

    record = recorder(settings)

    report = PipelineReport()
    with console.status("starting Spark (local, Iceberg runtime from PyPI) ..."):
        t0 = time.perf_counter()
        spark = get_spark(settings)
        report.timings["spark_start"] = time.perf_counter() - t0
    for name in names:
        job = get_job(name)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task(f"{name}: {job.description}", total=None)

            last: dict[str, Any] = {"stage": None, "at": 0.0}
            t0 = time.perf_counter()

            def on_progress(stage: str, detail: Any, *_: Any, task=task, name=name, last=last, t0=t0) -> None:
                progress.update(task, description=f"{name}: {stage} {detail}")
                # no terminal (a log file, CI): the spinner shows nothing, so print a line when the stage changes
                # and at most every LOG_PROGRESS_EVERY seconds otherwise
                now = time.perf_counter()
                if not console.is_terminal and (stage != last["stage"] or now - last["at"] >= LOG_PROGRESS_EVERY):
                    console.print(f"  {name}: {stage} {detail} ({now - t0:.0f}s)", highlight=False)
                    last.update(stage=stage, at=now)

            try:
                result, _ = run_job(spark, settings, name, record, progress=on_progress)
            finally:
                report.timings[name] = time.perf_counter() - t0
        report.results[name] = result
        for source, batch, file, why in getattr(result, "rejected_files", [])[:20]:
            where = f"{source}/{batch}/{file}" if batch else f"{source}/{file}"
            console.print(f"  [yellow]rejected[/] landing/{where}: {why}")
        for source, batches in getattr(result, "withdrawn_batches", {}).items():
            console.print(f"  [yellow]withdrawn, not landed again[/] {source}: {', '.join(batches)} "
                          "(`lakecast batch replay BATCH` lands a corrected delivery)")
        console.print(f"[green]✓[/] {name} in {report.timings[name]:.1f}s: {_describe(result)}")
    if record and record.failures:
        console.print(f"[yellow]warning:[/] {len(record.failures)} run record(s) not written to pipeline_runs: "
                      + "; ".join(record.failures))
    return report


def _describe(result: Any) -> str:
    if hasattr(result, "landed_batches"):
        landed = sum(len(v) for v in result.landed_batches.values())
        skipped = sum(len(v) for v in result.skipped_batches.values())
        rej = len(result.rejected_files)
        rows = sum(result.rows.values())
        withdrawn = sum(len(v) for v in result.withdrawn_batches.values())
        return (f"{landed} batches landed, {skipped} unchanged (skipped), {withdrawn} withdrawn (skipped), "
                f"{rej} files rejected, {rows:,} rows")
    if hasattr(result, "quarantined_by_rule"):
        quarantined = sum(result.quarantined_by_rule.values())
        return f"{result.rows.get('sales_lines', 0):,} sales lines, {quarantined:,} rows quarantined"
    if hasattr(result, "holdout_timeframes"):
        champ: dict[str, Any] = next((r for r in result.scores if r["model_id"] == "champion"), {})
        acc = champ.get("accuracy_pct")
        return (
            f"{len(result.models)} models x {len(result.origins) - 1} origins, champion holdout accuracy {acc:.1f}%"
            if acc is not None
            else "champion accuracy n/a"
        ) + f", {sum(1 for g in result.gates if g.passed)}/{len(result.gates)} gates passed"
    if hasattr(result, "pins_source"):  # spark_jobs.maintain.MaintainResult
        return result.summary()
    if hasattr(result, "published"):
        passed = sum(1 for g in result.gates if g.passed)
        return f"{len(result.gates)} gates ({passed} passed), published {len(result.snapshots)} tables"
    return str(result)


def run_demo(settings: Settings, scale: str, seed: int, regenerate: bool, console: Console,
             maintain: bool = True, cycles: int = 1) -> PipelineReport:
    """Generate (if needed) and run the whole pipeline, then print the summary.

    ``cycles`` > 1: the last ``cycles`` months run as successive monthly planning cycles with seeded planner
    overrides (lakecast_cli.cycles); the summary is the last cycle's, then versions, waterfall and override value.
    """
    from lakecast.appdb import server
    from spark_jobs.registry import PIPELINE

    started = time.perf_counter()
    console.rule("[bold]Lakecast demo")
    console.print(f"profile [bold]{settings.profile}[/], data dir [bold]{settings.data_path}[/]")
    from lakecast.appdb.migrate import upgrade

    with console.status("starting embedded Postgres and migrating the app database ..."):
        url = server.start(settings)
        upgrade(url)
    console.print(f"[green]✓[/] Postgres (app database) running: {url.split('@')[-1]}")
    manifest_file = settings.landing_dir / "_manifest.json"
    t0 = time.perf_counter()
    if regenerate or not manifest_file.exists() or json.loads(manifest_file.read_text()).get("scale") != scale:
        generate_landing(settings, scale, seed, None, None, console)
    else:
        console.print(f"[green]✓[/] landing data present ({manifest_file}); use --regenerate to rebuild")
    gen_seconds = time.perf_counter() - t0
    if cycles > 1:
        from lakecast_cli.cycles import run_cycles

        out = run_cycles(settings, cycles, url, console, maintain, run_jobs)
        report = out["report"]
        report.timings = {"generate": gen_seconds, **out["timings"]}
        print_summary(settings, report, console, time.perf_counter() - started)
        return report
    # the app database runs (started above), so the final scenario (approved overrides) is built too
    # then lake maintenance: compaction now, snapshots and orphans of earlier demo runs past their retention
    report = run_jobs(settings, [*PIPELINE, "final", *(["maintain"] if maintain else [])], console)
    report.timings = {"generate": gen_seconds, **report.timings}
    print_summary(settings, report, console, time.perf_counter() - started)
    return report


def print_summary(settings: Settings, report: PipelineReport, console: Console, total_seconds: float) -> None:
    from lakecast.runtime.engine import get_engine

    engine = get_engine(settings, serving=False)
    console.rule("[bold]Summary")
    console.print(table_summary(settings, engine))
    rules = (
        engine.query("SELECT source_table, rule, count(*) AS n FROM silver.quarantine GROUP BY 1, 2 ORDER BY 1, 3 DESC")
        if _has(engine, "silver.quarantine")
        else []
    )
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
    fc = report.results.get("forecast")
    if fc is not None:
        st = Table(
            "model",
            "family",
            "accuracy %",
            "WAPE",
            "bias",
            "FVA vs naive",
            "FVA vs legacy",
            "gap to ceiling",
            "champion share",
            title=f"Model competition on holdout {','.join(fc.holdout_timeframes)} (run {fc.run_id})",
        )

        def num(v: Any, fmt: str) -> str:
            return "-" if v is None or v != v else format(v, fmt)

        for r in fc.scores:
            st.add_row(
                r["model_id"],
                r["algorithm_id"],
                num(r["accuracy_pct"], ".1f"),
                num(r["wape"], ".3f"),
                num(r["bias"], "+.3f"),
                num(r["fva_vs_baseline"], "+.1f"),
                num(r["fva_vs_external"], "+.1f"),
                num(r["gap_to_ceiling"], ".1f"),
                num(r["champion_share"], ".0%"),
            )
        console.print(st)
        if fc.detail:
            console.print(
                value_table(fc.detail, "lag", "Champion vs legacy vs seasonal naive by lag (holdout, all DFUs)")
            )
            console.print(value_table(fc.detail, "segment", "Champion vs legacy vs seasonal naive by segment (holdout, "
                                      "each DFU at lag 0; WAPE 3m = 3-month cumulative demand)"))
        if fc.mlflow_run_id:
            console.print(
                f"MLflow run {fc.mlflow_run_id}: `uv run mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}`"
            )
    tt = Table("step", "seconds", title="Timings")
    for k, v in report.timings.items():
        tt.add_row(k, f"{v:.1f}")
    tt.add_row("total", f"{total_seconds:.1f}")
    console.print(tt)
    console.print(
        f"data: landing {settings.landing_dir} | Iceberg warehouse {settings.warehouse} | "
        f"Postgres {settings.postgres_dir} | MLflow {settings.mlflow_tracking_uri}"
    )


def value_table(detail: list[dict[str, Any]], by: str, title: str) -> Table:
    """Champion vs legacy (external) vs seasonal naive from gold.model_scores_detail rows, by lag or segment."""
    def num(v: Any, fmt: str) -> str:
        return "-" if v is None or v != v else format(v, fmt)

    rows = [r for r in detail if (r["segment"] == "all" if by == "lag" else (r["lag"] == 0 and r["segment"] != "all"))]
    t = Table(by, "champion acc %", "legacy acc %", "naive acc %", "FVA vs legacy", "FVA vs naive", "champion bias",
              "WAPE 3m champion / legacy", "gap to ceiling", "80% / 95% coverage", title=title)
    keyed = {(r[by], r["model_id"]): r for r in rows}
    for k in sorted({r[by] for r in rows}, key=str):
        c, e, n = (keyed.get((k, m), {}) for m in ("champion", "external", "seasonal_naive"))
        if not c:
            continue
        t.add_row(str(k), num(c.get("accuracy_pct"), ".1f"), num(e.get("accuracy_pct"), ".1f"),
                  num(n.get("accuracy_pct"), ".1f"), num(c.get("fva_vs_external"), "+.1f"),
                  num(c.get("fva_vs_baseline"), "+.1f"), num(c.get("bias"), "+.1%"),
                  f"{num(c.get('wape_cum3'), '.2f')} / {num(e.get('wape_cum3'), '.2f')}",
                  num(c.get("gap_to_ceiling"), ".1f"),
                  f"{num(c.get('coverage_80'), '.0%')} / {num(c.get('coverage_95'), '.0%')}")
    return t


def _has(engine: Any, fqn: str) -> bool:
    """Whether ``fqn`` is published (has a snapshot the engine reads); an engine error raises."""
    return engine.snapshot_id(fqn) is not None


def table_summary(settings: Settings, engine: Any = None) -> Table:
    """Rows and current snapshot id of every table that exists, read through the serving engine."""
    from contracts.registry import TABLES
    from lakecast.runtime.engine import get_engine

    engine = engine or get_engine(settings, serving=False)
    table = Table("table", "rows", "snapshot", "grain", title=f"Tables ({engine.name}) at {dt.datetime.now():%H:%M:%S}")
    for fqn, spec in TABLES.items():
        if not _has(engine, fqn):
            continue
        n = engine.query(f"SELECT count(*) AS n FROM {fqn}")[0]["n"]
        table.add_row(fqn, f"{n:,}", str(engine.snapshot_id(fqn)), spec.grain)
    return table
