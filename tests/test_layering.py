"""Layers point down: import-linter's contracts (pyproject ``[tool.importlinter]``) hold, and would catch a breach.

contracts -> lakecast (core) -> spark_jobs | api -> lakecast_cli (orchestration) -> bench; no cycles between
the sub-packages of any package; contracts/ imports no heavy library.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("contracts", "lakecast", "spark_jobs", "api", "lakecast_cli", "bench")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.unit


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def _copy_tree(dest: Path) -> None:
    """Copy the Python sources of the layered packages and pyproject.toml (the contracts) into ``dest``."""
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            target = dest / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    shutil.copyfile(ROOT / "pyproject.toml", dest / "pyproject.toml")


def test_import_contracts_are_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("lakecast/_breach.py", "import spark_jobs.registry\n", "Layers point down"),
        ("lakecast/_breach.py", "import lakecast_cli.pipeline\n", "Layers point down"),
        ("api/_breach.py", "import spark_jobs.gates\n", "Layers point down"),  # siblings stay independent
        ("contracts/_breach.py", "import pandas\n", "contracts/ is pydantic only"),
        ("lakecast/runtime/_breach.py", "import lakecast.chat.executor\n", "No import cycles"),
    ],
)
def test_a_breach_fails_the_lint(tmp_path: Path, module: str, source: str, broken: str) -> None:
    """The same contracts on a copy of the tree with one forbidden import added: lint-imports exits non-zero
    and names the broken contract (so the green run above cannot be a lint that checks nothing)."""
    _copy_tree(tmp_path)
    (tmp_path / module).write_text(source)
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}" in result.stdout.split("Broken contracts", 1)[1]
