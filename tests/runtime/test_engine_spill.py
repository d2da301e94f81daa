"""Two serving engines in one process and one working directory spill to disk at the same time.

An in-memory DuckDB spills to ``.tmp`` in the working directory by default; two engines started there (two API
workers, the API beside a benchmark) shared that directory and the process crashed (SIGSEGV) when both spilled.
Each engine now has its own spill directory. The run goes in a subprocess, so a crash is a failure, not a dead
test session.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROWS = 3_000_000
SCRIPT = textwrap.dedent(f"""
    import os, sys, threading
    from pathlib import Path
    from lakecast.runtime.engine import DuckDBEngine
    from lakecast.settings import Settings

    root = Path(sys.argv[1])
    os.chdir(root)
    s = Settings(data_dir=root / "lake", engine={{"duckdb_memory_limit": "64MB", "duckdb_threads": 1}})
    engines = [DuckDBEngine(s) for _ in range(2)]
    print("dirs", *[e.temp_directory for e in engines])
    # a sort far above the 64 MB limit: it must spill
    sql = ("SELECT count(*), sum(i) FROM (SELECT i, md5(i::varchar) m FROM range({ROWS}) t(i) ORDER BY m)")
    out, errors = [], []

    def run(e):
        try:
            out.append(e.con.execute(sql).fetchone())
        except Exception as ex:
            errors.append(repr(ex))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("errors", errors)
    for n, total in out:
        print("result", n, total)
""")


def test_two_engines_spilling_at_once_each_use_their_own_directory(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=root, capture_output=True, text=True,
                          timeout=240, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    dirs = next(line.split()[1:] for line in lines if line.startswith("dirs"))
    assert len(set(dirs)) == 2 and all(not Path(d).is_relative_to(tmp_path) for d in dirs)
    assert "errors []" in lines
    results = [tuple(int(v) for v in line.split()[1:]) for line in lines if line.startswith("result")]
    assert results == [(ROWS, ROWS * (ROWS - 1) // 2)] * 2
    assert not (tmp_path / ".tmp").exists()  # nothing spilled into the working directory
