"""The CLI's rich console: full width in a terminal, and wide enough when the output goes to a file or a pipe.

rich falls back to 80 columns when stdout is not a terminal (CI logs, ``| tee``, ``> run.log``); the demo
summary tables then cut item names and figures to "stab…". Off a terminal the console is ``PIPE_WIDTH`` wide
(``COLUMNS`` still wins when set).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

PIPE_WIDTH = 200


def make_console(stderr: bool = False) -> Console:
    """A rich Console for the CLI (see the module docstring for its width off a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, width=width)


FORMATS = ("table", "csv", "json")


def format_error(fmt: str) -> str | None:
    """The message for an unknown ``--format`` value, or None when it is one of :data:`FORMATS`."""
    if fmt in FORMATS:
        return None
    return f"unknown --format {fmt!r}: {', '.join(FORMATS[:-1])} or {FORMATS[-1]}"


def cell(value: Any) -> str:
    """A value as the CLI tables print it: thousands separators for ints, ``-`` for null, dates ``YYYY-MM-DD``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)


def emit_rows(console: Console, rows: list[dict[str, Any]], fmt: str, title: str | None = None) -> None:
    """Rows as a table (values fold onto more lines, never cut), CSV or JSON (raw values) on stdout."""
    if fmt == "json":
        console.print_json(json.dumps(rows, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(buf.getvalue(), end="")
    else:
        table = Table(title=title)
        for name in rows[0] if rows else ["(none)"]:
            table.add_column(name, overflow="fold")
        for r in rows:
            table.add_row(*[cell(v) for v in r.values()])
        console.print(table)
