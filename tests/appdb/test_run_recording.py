"""`lakecast run` / `demo` record each job run in the app database's pipeline_runs (when it runs)."""

from __future__ import annotations

from lakecast.appdb.runs import list_runs
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings
from lakecast_cli.pipeline import _run_details, _run_recorder


def test_runs_are_recorded_with_their_outcome_and_details():
    with temporary_server() as (settings, url):
        record = _run_recorder(settings)
        assert record is not None
        record(run_id="gold-1", job="gold", status="running")
        record(run_id="gold-1", job="gold", status="succeeded", details={"rows": {"dim_dfu": 50}})
        record(run_id="forecast-1", job="forecast", status="failed", details={"error": "GateFailure: x"})
        runs = {r["run_id"]: r for r in list_runs(url)}
        assert runs["gold-1"]["status"] == "succeeded" and runs["gold-1"]["details"] == {"rows": {"dim_dfu": 50}}
        assert runs["gold-1"]["finished_at"] >= runs["gold-1"]["started_at"]
        assert runs["forecast-1"]["status"] == "failed"


def test_no_app_database_means_no_recording_and_no_failure(tmp_path):
    assert _run_recorder(Settings(data_dir=tmp_path)) is None


def test_run_details_are_json_safe():
    class Result:
        run_id = "r"
        published = True
        rows = {"a": 1}  # noqa: RUF012 - a stand-in object, never mutated
        gates: list = []  # noqa: RUF012

    assert _run_details(Result()) == {"run_id": "r", "published": True, "rows": {"a": 1}}
