"""The CLI's rich console: full width in a terminal, and wide enough when the output goes to a file or a pipe.

rich falls back to 80 columns when stdout is not a terminal (CI logs, ``| tee``, ``> run.log``); the demo
summary tables then cut item names and figures to "stab…". Off a terminal the console is ``PIPE_WIDTH`` wide
(``COLUMNS`` still wins when set).
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPE_WIDTH = 200


def make_console(stderr: bool = False) -> Console:
    """A rich Console for the CLI (see the module docstring for its width off a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, width=width)
