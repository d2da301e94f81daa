"""The CLI console does not cut tables to 80 columns when its output goes to a file or a pipe."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from lakecast_cli import console as C

pytestmark = pytest.mark.unit


def test_off_a_terminal_tables_keep_their_values(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    buf = io.StringIO()  # not a tty, like `lakecast demo > run.log`
    monkeypatch.setattr("sys.stdout", buf)
    con = C.make_console()
    assert con.width == C.PIPE_WIDTH
    t = Table("segment", *[f"metric {i}" for i in range(9)])
    t.add_row("stable erratic mid-volume", *[f"{100 * i + 0.5:,.1f}" for i in range(9)])
    con.print(t)
    out = buf.getvalue()
    assert "stable erratic mid-volume" in out and "800.5" in out and "…" not in out


def test_columns_env_wins(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert C.make_console().width == 100


def test_emit_rows_csv_and_json_are_raw_and_table_folds(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    long_id = "L" * 500
    rows = [{"line_id": long_id, "qty": 1234567, "share": 0.123456789}]
    C.emit_rows(C.make_console(), rows, "csv")
    out = capsys.readouterr().out
    assert out.splitlines() == ["line_id,qty,share", f"{long_id},1234567,0.123456789"]
    C.emit_rows(C.make_console(), rows, "json")
    assert '"share": 0.123456789' in capsys.readouterr().out
    C.emit_rows(C.make_console(), rows, "table")
    table = capsys.readouterr().out
    assert table.count("L") >= 500 and "1,234,567" in table and "…" not in table  # folded, not cut


def test_query_refuses_an_unknown_format():
    from typer.testing import CliRunner

    from lakecast_cli.main import app

    res = CliRunner().invoke(app, ["query", "select 1", "--format", "xml"])
    assert res.exit_code == 2 and "unknown --format 'xml'" in res.output
