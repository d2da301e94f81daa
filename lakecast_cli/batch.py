"""`lakecast batch list | show | withdraw | replay`: the lifecycle of a landing batch (spark_jobs/batches.py)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer

from lakecast.settings import get_settings
from lakecast_cli.console import emit_rows, format_error, make_console

batch_app = typer.Typer(help="Landing batches: list, show, withdraw a bad one, replay a corrected one.",
                        no_args_is_help=True)
console = make_console()

SourceOption = Annotated[str | None, typer.Option("--source", help="Only this landing source (e.g. sales_lines)")]
FormatOption = Annotated[str, typer.Option("--format", help="table | csv | json")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does it (default: the OS user)")]
RerunOption = Annotated[bool, typer.Option("--rerun", help="Also run every job downstream (gold, forecast, final), "
                                                           "so every served table changes now")]


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _spark():
    from lakecast.runtime.spark import get_spark

    settings = get_settings()
    with console.status("starting Spark ..."):
        return settings, get_spark(settings)


def _emit(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    emit_rows(console, rows, fmt, title)


def _check_format(fmt: str) -> None:
    if (message := format_error(fmt)) is not None:
        _fail(message, 2)


@batch_app.command("list")
def list_cmd(source: SourceOption = None, fmt: FormatOption = "table") -> None:
    """Every landed batch per source: files, landed / accepted / quarantined rows, first and last seen, status."""
    from spark_jobs.batches import list_all

    _check_format(fmt)
    settings, spark = _spark()
    _emit(list_all(spark, settings, source), fmt, "Landing batches (counts: current ops.batch_reconciliation row)")


@batch_app.command("show")
def show_cmd(batch: Annotated[str, typer.Argument(help="Batch id (the landing directory name)")],
             source: SourceOption = None, fmt: FormatOption = "table") -> None:
    """One batch: files, physical lines and records, quarantine by rule, reconciliation history, withdrawals."""
    from spark_jobs.batches import BatchError, show

    _check_format(fmt)
    settings, spark = _spark()
    try:
        detail = show(spark, settings, batch, source)
    except BatchError as exc:
        _fail(str(exc))
    if fmt == "json":
        console.print_json(json.dumps(detail, default=str))
        return
    files = [{k: f[k] for k in ("source", "source_file", "status", "file_bytes", "physical_lines", "records", "rows",
                                "ingested_at", "reason")} for f in detail["files"]]
    recon = [{k: r[k] for k in ("source_table", "seq", "event", "other_batch", "rows", "rows_landed", "rows_accepted",
                                "rows_quarantined", "recorded_at")} for r in detail["reconciliation"]]
    actions = [{k: a[k] for k in ("source", "action", "actor", "reason", "at", "bronze_rows", "silver_rows",
                                  "quarantined_rows", "audit_id")} for a in detail["actions"]]
    sections = [(files, "Files (ops.ingest_files)"), (detail["quarantine_by_rule"], "Quarantined rows by rule"),
                (recon, "Reconciliation history (ops.batch_reconciliation)"),
                (actions, "Withdrawals and replays (ops.batch_lifecycle)"),
                ([{"source": s, "rows": n} for s, n in detail["bronze_rows"].items()], "Rows in bronze now")]
    for rows, title in sections:
        if fmt == "csv":
            print(f"# {title}")
        _emit(rows, fmt, f"{batch}: {title}")


def jobs_after(first: list[str], rerun: bool) -> tuple[list[str], list[str]]:
    """(jobs to run now, jobs left to run) after a batch action that must rerun ``first``: the jobs downstream of
    what ``first`` rewrites (spark_jobs.registry.downstream) run now with ``rerun``, else are left to the user."""
    from spark_jobs.registry import JOBS, downstream

    rest = downstream({t for name in first for t in (*JOBS[name].produces, *JOBS[name].updates)})
    rest = [j for j in rest if j not in first]
    return ([*first, *rest], []) if rerun else (list(first), rest)


def _run_after(settings: Any, first: list[str], rerun: bool) -> None:
    from lakecast_cli.pipeline import run_jobs
    from spark_jobs.gates import GateFailure

    now, later = jobs_after(first, rerun)
    try:
        run_jobs(settings, now, console)
    except GateFailure as exc:
        _fail(str(exc))
    if later:
        console.print(f"the served tables still hold the batch's effect: run `lakecast run {' '.join(later)}` "
                      "(or pass --rerun) to republish them")


@batch_app.command("withdraw")
def withdraw_cmd(batch: Annotated[str, typer.Argument(help="Batch id to withdraw")],
                 reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log)")],
                 source: SourceOption = None, by: ByOption = None, rerun: RerunOption = False) -> None:
    """Remove a batch's rows from bronze and silver, audited; with --rerun every downstream job republishes now."""
    from spark_jobs.batches import BatchError, withdraw

    settings, spark = _spark()
    try:
        result = withdraw(spark, settings, batch, reason=reason, actor=by or getpass.getuser(), source=source)
    except BatchError as exc:
        _fail(str(exc))
    console.print(f"[green]✓[/] {result.summary()}; audit ids {result.audit_ids}")
    _run_after(settings, ["silver"], rerun)


@batch_app.command("replay")
def replay_cmd(batch: Annotated[str, typer.Argument(help="Batch id to land again from its landing files")],
               reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log)")] = "replay",
               source: SourceOption = None, by: ByOption = None, rerun: RerunOption = False) -> None:
    """Land the files now under landing/<source>/<batch>/ again (a corrected delivery), clearing a withdrawal."""
    from spark_jobs.batches import BatchError, replay

    settings, spark = _spark()
    try:
        result = replay(spark, settings, batch, actor=by or getpass.getuser(), reason=reason, source=source)
    except BatchError as exc:
        _fail(str(exc))
    console.print(f"[green]✓[/] {result.summary()}; audit ids {result.audit_ids}")
    _run_after(settings, ["bronze", "silver"], rerun)
