"""The forecast job's model tasks over grouped Spark data (spark_jobs.forecast_tasks): the Spark bucket rule is
the Python one, every task is its own partition, and the forecasts equal direct calls of the pure model code on
the driver frames (per DFU bucket for per-series models, all DFUs per origin for global ones)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from lakecast.forecast.backtest import backtest_frame, forecast_frame, make_origins
from lakecast.forecast.clustering import cluster_dfus
from spark_jobs import forecast as fjob
from spark_jobs import forecast_tasks as ft

pytestmark = [pytest.mark.spark, pytest.mark.integration]

MODELS = ["seasonal_naive", "legacy_vintages", "lgbm_per_cluster"]  # per-series, per-series on the legacy input, global
STAT, ML = MODELS[:2], MODELS[2:]


def test_spark_bucket_column_is_python_crc32(spark):
    ids = ["D0001", "I12|L3", "ä-ü", "", "x" * 200, *[f"I{i:05d}|L{i % 37:03d}" for i in range(500)]]
    got = spark.createDataFrame([(u,) for u in ids], "unique_id string").select(
        "unique_id", ft.bucket_col(7).alias("b")).toPandas()
    assert dict(zip(got["unique_id"], got["b"], strict=True)) == {u: zlib.crc32(u.encode()) % 7 for u in ids}
    assert ft.bucket_of("I00001|L001", 7) == zlib.crc32(b"I00001|L001") % 7


def test_partition_keys_pin_each_task_to_its_own_partition(spark):
    keys = ft.partition_keys(spark, 13)
    df = spark.createDataFrame([(i, k) for i, k in enumerate(keys) for _ in range(3)], "task_id int, pkey bigint")
    per_part = df.repartition(13, "pkey").rdd.glom().map(lambda rows: sorted({r.task_id for r in rows})).collect()
    assert per_part == [[i] for i in range(13)]


@pytest.fixture(scope="module")
def setup(spark, pipeline):
    s = pipeline.settings.model_copy(update={"forecast": pipeline.settings.forecast.model_copy(
        update={"ml_params": {"rounds": 8}, "stat_buckets": 3})})
    inputs = fjob.load_inputs(spark, s)
    fwd = pd.Timestamp(inputs["history"]["ds"].max()).to_period("M").to_timestamp()
    origins = make_origins(fwd, n_origins=2, horizon=5, step=3)
    clusters = pd.concat([cluster_dfus(inputs["history"], o, seed=0).assignments
                          for o in [*origins["fcst_origin"], fwd]], ignore_index=True)
    clusters["fcst_origin"] = pd.to_datetime(clusters["fcst_origin"])
    return s, inputs, origins, fwd, clusters


def _expected(s, inputs, origins, fwd, clusters) -> pd.DataFrame:
    """The model code called directly on the driver frames, task by task, as the job's rule says."""
    fc = s.forecast
    kw = {"clusters": clusters, "seed": fc.seed, "season_length": fc.season_length, "ml_params": dict(fc.ml_params)}
    hist, ext = inputs["history"], inputs["external"]
    parts = []
    for b in range(fc.stat_buckets):
        ids = {u for u in hist["unique_id"].unique() if zlib.crc32(u.encode()) % fc.stat_buckets == b}
        h, e = hist.loc[hist["unique_id"].isin(ids)], ext.loc[ext["unique_id"].isin(ids)]
        if h.empty:
            continue
        st = {**kw, "external": e, "statics": inputs["statics"]}  # the old driver-side tasks passed the statics
        parts.append(backtest_frame(h, origins, models=STAT, horizon=fc.horizon, **st))
        parts.append(forecast_frame(h, origin=fwd, horizon=fc.forward_horizon, model_ids=STAT, **st)
                     .assign(timeframe="forward", y=np.nan))
    ml = {**kw, "statics": inputs["statics"], "external": ext, "promo_plan": inputs["promo_plan"]}
    parts.append(backtest_frame(hist, origins, models=ML, horizon=fc.horizon, **ml))
    parts.append(forecast_frame(hist, origin=fwd, horizon=fc.forward_horizon, model_ids=ML, **ml)
                 .assign(timeframe="forward", y=np.nan))
    return pd.concat(parts, ignore_index=True)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df[ft.TASK_COLUMNS].assign(fcst_origin=pd.to_datetime(df["fcst_origin"]),
                                    target_month=pd.to_datetime(df["target_month"]),
                                    lag=df["lag"].astype(int), cluster_id=df["cluster_id"].astype(int))
    return df.sort_values(["timeframe", "model_id", "unique_id", "target_month"]).reset_index(drop=True)


def test_grouped_tasks_give_the_forecasts_of_the_model_code_on_the_driver_frames(spark, setup):
    s, inputs, origins, fwd, clusters = setup
    expected = _sorted(_expected(s, inputs, origins, fwd, clusters))
    from_pandas = _sorted(fjob.run_models(spark, s, inputs, origins, fwd, clusters, MODELS))
    from_tables = _sorted(fjob.run_models(spark, s, inputs, origins, fwd, clusters, MODELS,
                                          history=fjob.history_df(spark, s), external=fjob.external_df(spark, s)))
    assert set(expected["model_id"]) == set(MODELS) and set(expected["timeframe"]) == {"A", "B", "forward"}
    pd.testing.assert_frame_equal(from_pandas, expected, check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(from_tables, expected, check_exact=True, check_dtype=False)
