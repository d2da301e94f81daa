"""Static checks in the default test run: ruff with the project's rule set (pyproject ``[tool.ruff.lint]``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")

pytestmark = pytest.mark.unit


def test_ruff_check_is_clean() -> None:
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_ruff_selects_at_least_the_agreed_rules() -> None:
    """E, F, I, B, UP, SIM at least (STYLE.md, issue 16): the rule set is not narrowed again unnoticed."""
    import tomllib

    selected = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["select"])
    assert {"E", "F", "I", "B", "UP", "SIM"} <= selected
