"""`lakecast stack up|down|status`: the local production stack (MinIO, Postgres catalog, Trino) on loopback."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from lakecast.settings import get_settings
from lakecast_cli.console import make_console

stack_app = typer.Typer(
    help="Local production stack: MinIO (S3), the Iceberg JDBC catalog's Postgres, Trino (docs/compose.md).",
    no_args_is_help=True,
)
console = make_console()


@stack_app.command("up")
def up() -> None:
    """Install what is missing (Maven Central, Go module proxy; checksums verified), then start everything."""
    from lakecast.stack import lifecycle

    settings = get_settings()
    try:
        timings = lifecycle.up(settings, progress=lambda m: console.print(f"  {m}"))
    except lifecycle.StackError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    installs = sum(v for k, v in timings.items() if k.startswith("install:"))
    starts = sum(v for k, v in timings.items() if k.startswith("start:"))
    console.print(f"[green]stack up[/] (install {installs:.0f} s, start {starts:.0f} s); data in {settings.stack_dir}")
    _print_status()


@stack_app.command("down")
def down() -> None:
    """Stop every component (Trino, Postgres, MinIO); data and installs are kept."""
    from lakecast.stack import lifecycle

    stopped = lifecycle.down(get_settings(), progress=lambda m: console.print(f"  {m}"))
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


@stack_app.command("status")
def status(
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
) -> None:
    """Each component: version, address, pid, health, resident memory. Exit 1 if any is not healthy."""
    rows = _print_status(fmt)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


def _print_status(fmt: str = "table"):
    from dataclasses import asdict

    from lakecast.stack import lifecycle

    rows = lifecycle.status(get_settings())
    if fmt == "json":
        console.print_json(json.dumps([asdict(r) for r in rows]))
        return rows
    table = Table("component", "version", "address", "pid", "health", "RSS MB", "detail")
    for r in rows:
        health = "[green]healthy[/]" if r.healthy else ("[red]unhealthy[/]" if r.pid else "stopped")
        rss = f"{r.rss_mb:,.0f}" if r.rss_mb is not None else ""
        table.add_row(r.name, r.version, r.address, str(r.pid or ""), health, rss, r.detail)
    console.print(table)
    return rows
