"""The browser UI end to end: real Chromium (Debian, via playwright-core) on the real API serving ui/dist,
over the tiny pipeline's Iceberg tables (DuckDB) and a real embedded Postgres.

The browser scenario lives in ``ui/e2e/run.mjs`` (node + playwright-core, no browser download) and runs in
two phases, with checks of the API and the Spark ``final`` job beside them:

1. ``before-final``: login and role shown; overview KPI numbers equal the API's; slicing the accuracy explorer
   by cluster changes the table; an exception opens its drilldown; a planner submits an override there; the
   same planner is refused approval (UI and API); an approver approves it; the Chat page's answer table equals
   ``POST /chat``'s rows and a DROP TABLE question is shown refused.
2. ``after-final`` (no job run in between): the drilldown's final forecast shows the approved override for
   exactly its month -- the API folds approved overrides in at read time;
3. the ``final`` job then materialises the same quantity in ``gold.fact_forecast`` (scenario ``final``);
4. ``waterfall``: the Waterfall page of that DFU shows, for the overridden month, the final run's version (with
   the override) and the forecast run's baseline version at their lag, as ``gold.fact_forecast_version`` holds them.

Screenshots go to ``tests/e2e/artifacts/`` (gitignored). A missing prerequisite (UI not built, node or its
packages missing, no ``/usr/bin/chromium``: ``LAKECAST_NEED_CHROMIUM=1 scripts/bootstrap.sh`` installs it) fails
the test; see ``tests/conftest.py`` for the only, local, way to skip instead.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from lakecast.settings import PostgresSettings, Settings
from spark_jobs.publish import job_tables

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
RUNNER = UI / "e2e" / "run.mjs"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
PHASE_TIMEOUT_S = 180


def _missing_prerequisites() -> list[tuple[str, str]]:
    """(name, reason) of every prerequisite of the browser test that is missing."""
    missing = []
    if not (UI / "dist" / "index.html").is_file():
        missing.append(("ui", "ui/dist is not built (scripts/bootstrap.sh runs npm ci + npm run build in ui/)"))
    if not CHROMIUM.exists():
        missing.append(
            ("chromium", "/usr/bin/chromium is missing (apt-get install chromium; LAKECAST_NEED_CHROMIUM=1 bootstrap)")
        )
    if shutil.which("node") is None:
        missing.append(("node", "node is not installed"))
    if not (UI / "node_modules" / "playwright-core").is_dir():
        missing.append(("ui", "ui/node_modules/playwright-core is missing (npm ci in ui/)"))
    return missing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveApi:
    url: str
    settings: Settings


@pytest.fixture(scope="session")
def browser_prerequisites(prerequisite: Any) -> None:
    """Fail (before the pipeline is built) when the UI build, node, playwright-core or Chromium is missing."""
    for name, reason in _missing_prerequisites():
        prerequisite(name, reason)


@pytest.fixture(scope="module")
def live_api(browser_prerequisites: None, pipeline: Any) -> Iterator[LiveApi]:
    """The real API (uvicorn, in a thread) on a free port: pipeline tables + a temporary embedded Postgres."""
    import uvicorn

    from api.main import create_app
    from lakecast.appdb.testing import temporary_server

    with temporary_server() as (_, owner_url):
        # The pipeline's warehouse, this Postgres (as an external URL: the pipeline's data dir lives under
        # pytest's 0700 tmp dir, which the unprivileged postgres OS user cannot enter).
        settings = pipeline.settings.model_copy(update={"postgres": PostgresSettings(mode="external", url=owner_url)})
        port = _free_port()
        app = create_app(settings, seed_demo_users=True)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the API did not start for the e2e test")
            time.sleep(0.1)
        assert httpx.get(f"{url}/app/overview", timeout=10).text.startswith("<!doctype html>")
        try:
            yield LiveApi(url, settings)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def _run_phase(phase: str, api: LiveApi, state_file: Path) -> dict[str, Any]:
    """Run one phase of ui/e2e/run.mjs; its last stdout line is ``RESULT <json>``."""
    env = {
        **os.environ,
        "LAKECAST_E2E_URL": api.url,
        "LAKECAST_E2E_ARTIFACTS": str(ARTIFACTS),
        "LAKECAST_E2E_STATE": str(state_file),
        "LAKECAST_E2E_CHROMIUM": str(CHROMIUM),
    }
    proc = subprocess.run(
        ["node", str(RUNNER), phase], cwd=UI, env=env, capture_output=True, text=True, timeout=PHASE_TIMEOUT_S
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        pytest.fail(
            f"browser phase {phase!r} failed (exit {proc.returncode}); screenshots in {ARTIFACTS}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return json.loads(lines[-1].removeprefix("RESULT "))


def _token(api: LiveApi, username: str) -> dict[str, str]:
    r = httpx.post(f"{api.url}/auth/token", data={"username": username, "password": "lakecast"}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_ui_end_to_end(live_api: LiveApi, spark: Any, tmp_path: Path, rolled_back: Any) -> None:
    # the final job writes to the session pipeline's tables: put their snapshots back for the other tests
    with rolled_back(*job_tables("final")):
        _ui_end_to_end(live_api, spark, tmp_path)


def _ui_end_to_end(live_api: LiveApi, spark: Any, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # screenshots of this run only
        old.unlink()
    state_file = tmp_path / "e2e-state.json"

    first = _run_phase("before-final", live_api, state_file)

    # What the browser did is what the API holds: one override, approved by `approver`, created by `planner`.
    override_id = first["override_id"]
    r = httpx.get(f"{live_api.url}/overrides/{override_id}", headers=_token(live_api, "viewer"), timeout=10)
    assert r.status_code == 200, r.text
    override = r.json()
    assert (override["status"], override["created_by"], override["decided_by"]) == ("approved", "planner", "approver")
    assert override["dfu_id"] == first["dfu_id"]
    assert override["start_month"] == override["end_month"] == first["month"]
    assert override["pct_change"] == first["pct_change"]
    assert first["planner_refused_status"] == 403

    # No job runs here: the approval reaches the page by itself (the API folds approved overrides into the
    # baseline champion at read time, docs/governance.md "Final forecast").
    second = _run_phase("after-final", live_api, state_file)
    # final = champion x (1 + pct/100) for the overridden month, exactly the champion elsewhere
    champion = second["champion_qty"]
    assert second["final_qty"] == pytest.approx(champion * (1 + first["pct_change"] / 100), rel=1e-6, abs=1e-6)
    assert second["other_months_unchanged"] is True

    # The final job then materialises the same numbers: what the page showed is what the job writes.
    from spark_jobs.registry import get_job

    result = get_job("final").load()(spark, live_api.settings)
    assert result.published, result
    assert str(override_id) in result.overrides_applied
    row = spark.sql(
        f"SELECT fcst_qty, override_id FROM {live_api.settings.catalog.name}.gold.fact_forecast "
        f"WHERE scenario_id = 'final' AND dfu_id = '{first['dfu_id']}' AND target_month = DATE'{first['month']}'"
    ).collect()
    assert len(row) == 1 and row[0]["override_id"] == str(override_id), row
    assert row[0]["fcst_qty"] == pytest.approx(second["final_qty"], rel=1e-6, abs=1e-6)

    # The final run was kept as a version: the Waterfall page shows, for the overridden month, the version rows
    # published for it -- the final run's (with the override) and the forecast run's baseline -- at their lag.
    third = _run_phase("waterfall", live_api, state_file)
    kept = spark.sql(
        f"SELECT version_id, scenario_id, lag, fcst_qty FROM {live_api.settings.catalog.name}"
        f".gold.fact_forecast_version WHERE dfu_id = '{first['dfu_id']}' AND target_month = DATE'{first['month']}'"
    ).collect()
    by_scenario = {r["scenario_id"]: r for r in kept}
    assert len(kept) == 2 and by_scenario["final"]["version_id"] == result.run_id, kept
    assert by_scenario["baseline"]["lag"] == by_scenario["final"]["lag"]
    [cell] = third["cells"]  # one cycle published: one lag
    assert cell["lag"] == by_scenario["final"]["lag"]
    assert cell["final"] == pytest.approx(second["final_qty"], rel=1e-9)
    assert cell["final"] == pytest.approx(by_scenario["final"]["fcst_qty"], rel=1e-9)
    assert cell["baseline"] == pytest.approx(second["champion_qty"], rel=1e-9)
