"""Static checks in the default test run: ruff with the project's rule set (pyproject ``[tool.ruff.lint]``) and
mypy on the whole Python code (pyproject ``[tool.mypy]``)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
MYPY = Path(sys.executable).with_name("mypy")

pytestmark = pytest.mark.unit


def test_ruff_check_is_clean() -> None:
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_ruff_selects_at_least_the_agreed_rules() -> None:
    """E, F, I, B, UP, SIM at least (STYLE.md, issue 16): the rule set is not narrowed again unnoticed."""
    selected = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["select"])
    assert {"E", "F", "I", "B", "UP", "SIM"} <= selected


def test_mypy_is_clean() -> None:
    """`uv run mypy` (files from pyproject); its incremental cache (.mypy_cache) keeps a repeat run to seconds."""
    proc = subprocess.run([str(MYPY)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


def test_mypy_checks_the_bodies_of_unannotated_functions() -> None:
    """``check_untyped_defs`` stays on, with no module exempted: without it mypy skips the body of every
    unannotated function, which is most tests and fixtures."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config.get("check_untyped_defs") is True
    exempt = [o["module"] for o in config.get("overrides", [])
              if o.get("check_untyped_defs") is False or o.get("ignore_errors") is True]
    assert not exempt, f"modules not checked: {exempt}"


def test_mypy_covers_every_python_file() -> None:
    """Every .py file of the checkout is under ``[tool.mypy] files``: coverage is not narrowed again unnoticed."""
    files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    outside = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
               if not any(part.startswith(".") or part == "node_modules" for part in p.relative_to(ROOT).parts)
               and not any(p.relative_to(ROOT).is_relative_to(f) for f in files)]
    assert len(files) >= 9 and not outside, f"not type-checked: {outside[:20]}"
