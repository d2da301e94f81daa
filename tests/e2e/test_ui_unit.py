"""The UI's own Vitest suite (formatting, filter state, chart data shaping) run as part of the test command."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "ui"
VITEST = UI / "node_modules" / ".bin" / "vitest"

pytestmark = pytest.mark.unit  # the UI's unit tests; node only, no service


def test_vitest_suite_passes(tmp_path: Path, prerequisite) -> None:
    prerequisite("node", None if shutil.which("node") else "node is not installed: cannot run Vitest")
    prerequisite("ui", None if VITEST.exists() else "ui/node_modules is missing (scripts/bootstrap.sh runs npm ci)")
    report = tmp_path / "vitest.json"
    proc = subprocess.run(
        [str(VITEST), "run", "--reporter=json", f"--outputFile={report}"],
        cwd=UI, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report.exists(), f"vitest wrote no report (exit {proc.returncode}):\n{out}"
    result = json.loads(report.read_text())
    failed = [
        f"{t['fullName']}: {t.get('failureMessages')}"
        for f in result["testResults"] for t in f["assertionResults"] if t["status"] != "passed"
    ]
    assert not failed, "\n".join(failed)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # every spec file under ui/src ran (a file that fails to import shows up as a suite without tests)
    specs = {p.resolve() for p in (UI / "src").rglob("*.test.ts*")}
    ran = {Path(f["name"]).resolve() for f in result["testResults"]}
    assert specs and specs <= ran, f"spec files not run: {sorted(map(str, specs - ran))}"
    assert result["numPassedTests"] == result["numTotalTests"] >= len(specs)
