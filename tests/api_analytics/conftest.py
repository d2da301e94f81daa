"""Fixtures of the analytics API tests: the session pipeline's Iceberg tables served by DuckDB, a real embedded
Postgres, one app per test module, and the expected values recomputed from Spark (same tables, same snapshot).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from lakecast.appdb.testing import temporary_server
from lakecast.forecast import metrics as M
from lakecast.settings import Settings

USERS = ("viewer", "planner", "approver", "approver2", "admin")
FORECAST_TABLES_NEEDED = "the forecast job is not in spark_jobs.registry.PIPELINE: no forecast tables to test"


@pytest.fixture(scope="session")
def forecast_ready() -> None:
    """Fail (never skip) if the forecast job that produces the forecast tables is not part of the pipeline."""
    from spark_jobs.registry import PIPELINE

    if "forecast" not in PIPELINE:
        pytest.fail(FORECAST_TABLES_NEEDED, pytrace=False)


@pytest.fixture(scope="session")
def analytics_pg() -> Iterator[tuple[Settings, str]]:
    """(settings, owner url) of a fresh embedded Postgres for these tests (migrated), removed at the end."""
    with temporary_server() as pair:
        yield pair


@pytest.fixture(scope="session")
def app_settings(pipeline: Any, analytics_pg: tuple[Settings, str]) -> Settings:
    """The app's settings: Postgres of ``analytics_pg``, warehouse/forecast/MLflow of the session pipeline."""
    pg_settings, _ = analytics_pg
    s = pipeline.settings
    return pg_settings.model_copy(update={
        "catalog": s.catalog.model_copy(update={"warehouse": s.warehouse}),
        "forecast": s.forecast,
        "mlflow": s.mlflow.model_copy(update={"tracking_uri": s.mlflow_tracking_uri}),
    })


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    """One app per test module (demo users seeded)."""
    with TestClient(create_app(app_settings, seed_demo_users=True)) as c:
        yield c


@pytest.fixture(scope="module")
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"anon": {}}
    for user in USERS:
        r = client.post("/auth/token", data={"username": user, "password": "lakecast"})
        assert r.status_code == 200, r.text
        out[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


# ---------------------------------------------------------------------------------------------- Spark side
def spark_df(spark: Any, settings: Settings, sql: str) -> pd.DataFrame:
    """Run a query naming tables ``gold.x`` / ``silver.x`` / ``ops.x`` on Spark SQL (catalog-qualified)."""
    qualified = re.sub(r"\b(gold|silver|ops)\.", f"{settings.catalog.name}.\\1.", sql)
    return spark.sql(qualified).toPandas()


@pytest.fixture(scope="session")
def sq(spark: Any, pipeline: Any):
    """``sq(sql) -> DataFrame`` on Spark SQL over the pipeline's tables."""
    return lambda sql: spark_df(spark, pipeline.settings, sql)


@pytest.fixture(scope="session")
def acc_rows(sq, forecast_ready: None) -> pd.DataFrame:
    """Every backtest accuracy row with its DFU's attributes (from Spark)."""
    df = sq(
        "SELECT a.dfu_id, a.model_id, a.timeframe, a.fcst_origin, a.target_month, a.lag, a.fcst_qty, "
        "a.actual_qty, d.item_id, d.location_id, d.category, d.brand, d.supplier, d.region, d.abc_class, "
        "d.xyz_class, d.cluster_id, d.cluster_label, d.execution_lag "
        "FROM gold.fact_forecast_accuracy a JOIN gold.dim_dfu d ON d.dfu_id = a.dfu_id "
        "WHERE a.scenario_id = 'backtest'"
    )
    df["target_month"] = pd.to_datetime(df["target_month"]).dt.date
    df["fcst_origin"] = pd.to_datetime(df["fcst_origin"]).dt.date
    return df


# ---------------------------------------------------------------------------------------------- expected values
def expected_metrics(rows: pd.DataFrame) -> dict[str, Any]:
    """Pooled metrics of ``rows`` with the project's metric functions (lakecast.forecast.metrics)."""
    if rows.empty:
        return {"n_rows": 0, "n_dfus": 0, "actual_qty": 0.0, "forecast_qty": 0.0, "abs_error": 0.0, "wape": None,
                "accuracy_pct": None, "bias": None, "mape": None}
    a = rows["actual_qty"].to_numpy(dtype=float)
    f = rows["fcst_qty"].to_numpy(dtype=float)
    return {"n_rows": len(rows), "n_dfus": rows["dfu_id"].nunique(), "actual_qty": a.sum(), "forecast_qty": f.sum(),
            "abs_error": float(np.abs(f - a).sum()), "wape": M.wape(a, f), "accuracy_pct": M.accuracy_pct(a, f),
            "bias": M.bias(a, f), "mape": M.mape(a, f)}


METRIC_KEYS = ("n_rows", "n_dfus", "actual_qty", "forecast_qty", "abs_error", "wape", "accuracy_pct", "bias", "mape")


def assert_metrics(got: dict[str, Any], expected: dict[str, Any], context: str = "") -> None:
    """Every metric equal within 1e-9 relative (1e-9 absolute near 0); undefined metrics are null."""
    for key in METRIC_KEYS:
        exp, val = expected[key], got[key]
        if exp is None:
            assert val is None, f"{context} {key}: expected null, got {val}"
        else:
            assert val == pytest.approx(exp, rel=1e-9, abs=1e-9), f"{context} {key}: {val} != {exp}"


def at_lag(rows: pd.DataFrame, lag: str) -> pd.DataFrame:
    """Rows at ``lag`` as the API defines it: 'execution' (each DFU's execution lag), 'all', or 0..4."""
    if lag == "all":
        return rows
    if lag == "execution":
        return rows.loc[rows["lag"] == rows["execution_lag"]]
    return rows.loc[rows["lag"] == int(lag)]


def in_window(rows: pd.DataFrame, start: Any, end: Any, column: str = "target_month") -> pd.DataFrame:
    return rows.loc[(rows[column] >= start) & (rows[column] <= end)]
