"""MLflow tracking is best effort: a failure is logged and kept on the result (and so in the run record), never
swallowed silently and never failing the job."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from lakecast.settings import Settings
from lakecast.tracking import log_forecast_run
from spark_jobs.runs import run_details


@dataclass
class Result:
    run_id: str = "forecast-test"
    tracking_error: str | None = None


def test_a_tracking_failure_is_logged_and_recorded(tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where MLflow's store directory should be")
    settings = Settings(data_dir=tmp_path, mlflow={"tracking_uri": f"sqlite:///{blocker}/mlflow.db"})
    result = Result()
    with caplog.at_level(logging.WARNING, logger="lakecast.tracking"):
        assert log_forecast_run(settings, result, {"fact_forecast": pd.DataFrame()}, None, None) is None
    assert result.tracking_error and result.tracking_error.split(":")[0].endswith(("Error", "Exception"))
    assert any("MLflow logging failed" in r.getMessage() for r in caplog.records)
    assert run_details(result)["tracking_error"] == result.tracking_error
