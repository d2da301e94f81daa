"""`lakecast` command line: generate data, run jobs, run the demo, manage the embedded services."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lakecast.settings import get_settings
from lakecast_cli.batch import batch_app
from lakecast_cli.console import make_console
from lakecast_cli.stack import stack_app

app = typer.Typer(
    help="Lakecast: an open local lakehouse for demand forecasting.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Embedded Postgres (app database) lifecycle.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(stack_app, name="stack")
app.add_typer(batch_app, name="batch")
console = make_console()


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def generate(
    scale: Annotated[str, typer.Option(help="tiny | small | medium | large")] = "tiny",
    seed: Annotated[int, typer.Option(help="Random seed; same seed gives identical files")] = 42,
    messy_fraction: Annotated[float | None, typer.Option(help="Share of deliberately bad rows")] = None,
    out: Annotated[Path | None, typer.Option(help="Landing dir (default <data_dir>/landing)")] = None,
) -> None:
    """Generate realistic landing files (sales lines, masters, legacy forecast)."""
    from lakecast_cli.pipeline import generate_landing

    settings = get_settings()
    manifest = generate_landing(settings, scale, seed, messy_fraction, out, console)
    console.print(
        f"[green]generated[/] {scale} data (seed {seed}) into {out or settings.landing_dir}: "
        f"{_manifest_rows(manifest):,} rows"
    )


ModelsOption = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="Forecast models: default (fast set), all, or ids separated by commas (see docs/forecasting.md)",
    ),
]


def _settings_with_models(models: str | None):
    """Settings, with the forecast job's model set replaced when --models is given (validated here)."""
    settings = get_settings()
    if not models:
        return settings
    from spark_jobs.forecast import resolve_model_ids

    chosen: list[str] | str = (
        models if models in ("default", "all") else [m.strip() for m in models.split(",") if m.strip()]
    )
    try:
        resolve_model_ids(chosen)
    except ValueError as exc:
        _fail(str(exc), 2)
    return settings.model_copy(update={"forecast": settings.forecast.model_copy(update={"models": chosen})})


def _manifest_rows(manifest: dict) -> int:
    total = 0
    for source in manifest.get("sources", {}).values():
        rows = source.get("rows_per_file") or source.get("rows") or {}
        total += sum(rows.values()) if isinstance(rows, dict) else int(rows or 0)
    return total


@app.command("jobs")
def list_jobs() -> None:
    """List the registered Spark jobs."""
    from spark_jobs.registry import JOBS

    table = Table("job", "description", "produces")
    for job in JOBS.values():
        also = f" (also writes {', '.join(job.updates)})" if job.updates else ""
        table.add_row(job.name, job.description, ", ".join(job.produces) + also)
    console.print(table)


@app.command()
def run(
    jobs: Annotated[list[str], typer.Argument(help="Job names (see `lakecast jobs`), or `pipeline`")],
    models: ModelsOption = None,
) -> None:
    """Run Spark jobs in the embedded runtime (the same code spark-submit runs)."""
    from lakecast_cli.pipeline import run_jobs
    from spark_jobs.gates import GateFailure
    from spark_jobs.registry import JOBS, PIPELINE

    names = [n for j in jobs for n in (PIPELINE if j == "pipeline" else (j,))]
    unknown = [n for n in names if n not in JOBS]
    if unknown:
        _fail(f"unknown job(s) {unknown}; known: {', '.join(JOBS)} (or `pipeline`)", 2)
    try:
        run_jobs(_settings_with_models(models), names, console)
    except GateFailure as exc:
        _fail(str(exc))
    except FileNotFoundError as exc:
        _fail(str(exc))


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="Data scale for the demo")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed")] = 42,
    serve: Annotated[bool, typer.Option(help="Serve the API/UI at the end")] = True,
    regenerate: Annotated[bool, typer.Option(help="Regenerate landing data even if present")] = False,
    models: ModelsOption = None,
    maintain: Annotated[bool, typer.Option(help="Run lake maintenance (`lakecast run maintain`) after the "
                                                "pipeline")] = True,
    cycles: Annotated[int, typer.Option(min=1, max=24, help="Run the last N months as N monthly planning cycles "
                                        "(land a month, forecast, seeded planner overrides approved, final), so "
                                        "versions, the waterfall and override value have content; needs a new "
                                        "lake. 6 fills every waterfall lag")] = 1,
) -> None:
    """Set up what is missing, generate data, run the whole pipeline, print a summary, then serve."""
    from lakecast_cli.cycles import CyclesError
    from lakecast_cli.pipeline import run_demo
    from spark_jobs.gates import GateFailure

    try:
        run_demo(_settings_with_models(models), scale=scale, seed=seed, regenerate=regenerate, console=console,
                 maintain=maintain, cycles=cycles)
    except (GateFailure, CyclesError) as exc:
        _fail(str(exc))
    if serve:
        _serve()


@app.command()
def tables() -> None:
    """Row counts and current snapshot ids of every table, read through the serving engine."""
    from lakecast_cli.pipeline import table_summary

    console.print(table_summary(get_settings()))


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT in the Trino dialect, e.g. over gold.dim_dfu")],
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json (csv and json: every row, raw values)")]
    = "table",
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows a table shows (csv and json show all)")] = 200,
) -> None:
    """Run a read-only query on the serving engine (DuckDB locally). Values are never cut: a table folds long
    values onto more lines; ``--format csv|json`` print them raw."""
    from lakecast.runtime.engine import get_engine
    from lakecast_cli.console import emit_rows, format_error

    if (message := format_error(fmt)) is not None:
        _fail(message, 2)
    rows = get_engine(get_settings(), serving=False).query(sql)
    if fmt == "table" and not rows:
        console.print("(no rows)")
        return
    emit_rows(console, rows if fmt != "table" else rows[:max_rows], fmt)
    if fmt == "table" and len(rows) > max_rows:
        console.print(f"... {len(rows) - max_rows:,} more rows (--max-rows, or --format csv|json for all)")


@app.command("docs")
def docs_cmd() -> None:
    """Regenerate sql/<namespace>/<table>.sql and docs/data-model.md from the contracts."""
    from lakecast_cli.catalog_docs import write

    changed = write()
    console.print(f"{len(changed)} catalog files updated" + "".join(f"\n  {p}" for p in changed))


@app.command("serve")
def serve_cmd() -> None:
    """Serve the API (and the built UI) on localhost."""
    _serve()


def _serve() -> None:
    settings = get_settings()
    try:
        from api.main import create_app
    except ImportError as exc:
        _fail(f"the API is not available: {exc}")
    import uvicorn

    from lakecast.appdb import server

    server.start(settings)
    url = f"http://{settings.api.host}:{settings.api.port}"
    ui_built = (Path(__file__).resolve().parents[1] / "ui" / "dist" / "index.html").is_file()
    ui = f"UI: {url}/app (users viewer/planner/approver/admin, password 'lakecast')" if ui_built else (
        "UI not built (scripts/bootstrap.sh builds ui/dist)")
    console.print(f"[bold green]Lakecast is serving at {url}[/]  {ui}; API docs: {url}/docs — Ctrl+C to stop")
    uvicorn.run(
        create_app(settings, seed_demo_users=True), host=settings.api.host, port=settings.api.port, log_level="warning"
    )


@db_app.command("start")
def db_start() -> None:
    """Start the embedded Postgres (reused if already running)."""
    from lakecast.appdb import server

    url = server.start(get_settings())
    console.print(f"Postgres running: {url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    from lakecast.appdb import server

    server.stop(get_settings())
    console.print("Postgres stopped")


@db_app.command("status")
def db_status() -> None:
    """Show whether the embedded Postgres is running."""
    from lakecast.appdb import server

    console.print(server.status(get_settings()))


def entrypoint() -> None:  # pragma: no cover
    """Run the CLI and print the wall time (``python -m lakecast_cli``)."""
    started = time.time()
    try:
        app()
    finally:
        console.print(f"done in {dt.timedelta(seconds=round(time.time() - started))}")


if __name__ == "__main__":  # pragma: no cover
    entrypoint()
