"""`lakecast run` / `demo` / spark-submit record each job run in the app database's pipeline_runs (when it runs)."""

from __future__ import annotations

from lakecast.appdb.runs import list_runs
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings
from spark_jobs.gates import GateFailure, GateOutcome
from spark_jobs.runs import failure_details, recorder, run_details


def test_runs_are_recorded_with_their_outcome_and_details():
    with temporary_server() as (settings, url):
        record = recorder(settings)
        assert record is not None
        record(run_id="gold-1", job="gold", status="running")
        record(run_id="gold-1", job="gold", status="succeeded", details={"rows": {"dim_dfu": 50}})
        record(run_id="forecast-1", job="forecast", status="failed", details={"error": "GateFailure: x"})
        runs = {r["run_id"]: r for r in list_runs(url)}
        assert runs["gold-1"]["status"] == "succeeded" and runs["gold-1"]["details"] == {"rows": {"dim_dfu": 50}}
        assert runs["gold-1"]["finished_at"] >= runs["gold-1"]["started_at"]
        assert runs["forecast-1"]["status"] == "failed"
        assert record.failures == []
    # the server is gone: the write fails, is counted and the caller goes on
    record(run_id="gold-2", job="gold", status="running")
    assert len(record.failures) == 1 and record.failures[0].startswith("gold run gold-2 (running): OperationalError")


def test_no_app_database_means_no_recording_and_no_failure(tmp_path):
    assert recorder(Settings(data_dir=tmp_path)) is None


def test_run_details_are_json_safe():
    class Result:
        run_id = "r"
        published = True
        rows = {"a": 1}  # noqa: RUF012 - a stand-in object, never mutated
        gates: list = []  # noqa: RUF012

    assert run_details(Result()) == {"run_id": "r", "published": True, "rows": {"a": 1}}


def test_a_publish_blocked_by_gates_is_a_failure_naming_the_gates_and_the_run():
    failed = [GateOutcome("gold.dim_dfu", "not_null", "dfu_id", False, 3.0, 0.0, "3 rows with a null"),
              GateOutcome("gold.agg_loc_week", "row_count_drift", None, False, 0.7, 0.5, "70% fewer rows")]
    details = failure_details(GateFailure(failed, "gold-20260301T000000-abcdef"))
    assert details["blocked_by_gates"] is True
    assert details["gates_failed"] == ["gold.dim_dfu.not_null", "gold.agg_loc_week.row_count_drift"]
    assert details["run_id"] == "gold-20260301T000000-abcdef"
    assert details["error"].startswith("GateFailure: quality gates failed in run gold-20260301T000000-abcdef; "
                                       "publish blocked")
    assert failure_details(KeyError("x")) == {"error": "KeyError: 'x'"}
