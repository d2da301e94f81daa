"""The forecast job's model tasks as grouped Spark data: no large frame in any task closure.

Each model task is one group of one tagged-union DataFrame (column ``_part`` says which input a row belongs
to), and one Spark partition:

* **statistical / per-series tasks** (``strategy == "local"``): one DFU bucket
  (``pmod(crc32(unique_id), forecast.stat_buckets)``, computed by Spark; :func:`bucket_of` is the same rule in
  Python) x {every backtest origin, the forward origin}. The group holds that bucket's history, legacy
  forecast and cluster assignments. Per-series models read neither statics nor the promotion plan.
* **global tasks** (gradient-boosted global / per-cluster / transfer models): one origin over ALL DFUs. The
  group holds the whole history (the backtest scores need the actuals after the origin), the legacy
  forecasts made at or before the origin (``lakecast.forecast.legacy.legacy_cube`` reads no others), the
  statics, the promotion plan and the cluster assignments at that origin. Global models see every DFU, as
  before; the training set is built in the worker, so the driver's memory does not grow with it.

Task i is pinned to partition i: a partition key whose Murmur3 hash (Spark's hash partitioning) lands on
partition i, and an explicit partition count, which adaptive execution does not coalesce (a plain
``groupBy`` would let it put all the groups on one core). The closure carries only bounded values: the
origins, the model ids and the forecast settings.

The group function (:func:`make_task_runner`) is plain pandas: it calls
``lakecast.forecast.backtest.backtest_frame`` / ``forecast_frame`` exactly as the driver-side version did, so
the forecasts are the same numbers (tests/spark/test_forecast_job.py checks that against a direct call).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakecast.forecast.backtest import backtest_frame, forecast_frame
from lakecast.settings import Settings

FORWARD = "forward"  # timeframe label of the forward (baseline) origin; backtest origins are A..J
TASK_COLUMNS = ["unique_id", "timeframe", "fcst_origin", "target_month", "lag", "model_id", "fcst_qty", "y",
                "cluster_id"]
TASK_SCHEMA = ("unique_id string, timeframe string, fcst_origin date, target_month date, lag int, "
               "model_id string, fcst_qty double, y double, cluster_id int")

S, D, X, INT = T.StringType(), T.DateType(), T.DoubleType(), T.IntegerType()
PARTS: dict[str, list[tuple[str, T.DataType]]] = {
    "history": [("unique_id", S), ("ds", D), ("y", X), ("price", X), ("promo", X)],
    "external": [("unique_id", S), ("target_month", D), ("lag", INT), ("fcst_qty", X)],
    "statics": [("unique_id", S), ("category", S), ("brand", S), ("supplier", S), ("region", S),
                ("location_type", S), ("valid_from", D), ("valid_to", D)],
    "promo_plan": [("unique_id", S), ("item_id", S), ("promo_month", D), ("discount_pct", X), ("status", S),
                   ("published_at", D)],
    "clusters": [("unique_id", S), ("fcst_origin", D), ("cluster_id", INT)],
}
PANDAS_INT = {"int": "int32", "bigint": "int64"}


def part_schema(part: str) -> T.StructType:
    return T.StructType([T.StructField(n, t, True) for n, t in PARTS[part]])


def _union_fields() -> list[tuple[str, T.DataType]]:
    seen: dict[str, T.DataType] = {}
    for cols in PARTS.values():
        for name, typ in cols:
            if seen.setdefault(name, typ) != typ:
                raise TypeError(f"column {name} has two types in PARTS")
    return list(seen.items())


UNION_FIELDS = _union_fields()


def bucket_of(unique_id: str, n_buckets: int) -> int:
    """Stable DFU -> bucket (crc32; Python's hash() is salted per process). Same rule as :func:`bucket_col`."""
    return zlib.crc32(unique_id.encode()) % n_buckets


def bucket_col(n_buckets: int):
    """The Spark column of :func:`bucket_of` (Spark's crc32 of the UTF-8 bytes is zlib's, unsigned)."""
    return F.pmod(F.crc32(F.col("unique_id").cast("binary")), F.lit(n_buckets)).cast("int")


@dataclass(frozen=True)
class TaskInputs:
    """The Spark frames the tasks read: history and legacy forecast straight from gold (the job), or made from
    pandas frames (tests, benchmarks); statics, plan and clusters are per-DFU driver frames."""

    history: DataFrame
    external: DataFrame
    statics: DataFrame
    promo_plan: DataFrame
    clusters: DataFrame


def spark_frame(spark: SparkSession, part: str, pdf: pd.DataFrame | None) -> DataFrame:
    """``pdf`` (columns of ``PARTS[part]``) as a Spark frame with the part's schema (empty if None)."""
    schema = part_schema(part)
    if pdf is None:
        return spark.createDataFrame([], schema)
    p = pdf[[f.name for f in schema.fields]].copy()
    for f in schema.fields:
        if isinstance(f.dataType, T.DateType):  # python dates (9999-12-31 is outside pandas' Timestamp range)
            p[f.name] = [_as_date(v) for v in p[f.name]]
        elif isinstance(f.dataType, T.StringType):
            p[f.name] = p[f.name].astype(object).where(p[f.name].notna(), None)
    return spark.createDataFrame(p, schema)


def _as_date(v) -> dt.date | None:
    if v is None or v is pd.NaT or (not isinstance(v, dt.date) and pd.isna(v)):
        return None
    if isinstance(v, dt.datetime):  # pd.Timestamp too
        return v.date()
    return v if isinstance(v, dt.date) else pd.Timestamp(v).date()


def _tasks(timeframes: list[str], stat_ids: list[str], ml_ids: list[str], n_buckets: int) -> list[tuple]:
    """(task_id, kind, bucket, timeframe): stat tasks cover every origin of one DFU bucket; ML tasks cover one
    origin over all DFUs (global models must see every DFU of the origin)."""
    tasks: list[tuple] = []
    if stat_ids:
        tasks += [("backtest", b, "*") for b in range(n_buckets)]
        tasks += [("forward", b, FORWARD) for b in range(n_buckets)]
    if ml_ids:
        tasks += [("backtest", -1, tf) for tf in timeframes]
        tasks += [("forward", -1, FORWARD)]
    return [(i, *t) for i, t in enumerate(tasks)]


def partition_keys(spark: SparkSession, n: int) -> list[int]:
    """For i in 0..n-1 a long key that Spark's hash partitioning into n partitions sends to partition i."""
    pid = F.pmod(F.hash(F.col("id")), F.lit(n))
    rows = spark.range(0, 64 * n + 1024).select("id", pid.alias("p")).groupBy("p").agg(F.min("id").alias("k"))
    keys = {int(r["p"]): int(r["k"]) for r in rows.collect()}
    missing = [i for i in range(n) if i not in keys]
    if missing:
        raise RuntimeError(f"no partition key found for partitions {missing[:5]}")
    return [keys[i] for i in range(n)]


def _tagged(df: DataFrame, part: str) -> DataFrame:
    """``df`` (task_id + the part's columns) in the union layout: every UNION_FIELDS column, nulls elsewhere."""
    own = {n for n, _ in PARTS[part]}
    return df.select("task_id", F.lit(part).alias("_part"),
                     *[F.col(n).cast(t) if n in own else F.lit(None).cast(t).alias(n) for n, t in UNION_FIELDS])


def task_frame(spark: SparkSession, inputs: TaskInputs, tasks: list[tuple], origins: pd.DataFrame,
               forward_origin: pd.Timestamp, n_buckets: int) -> DataFrame:
    """The union of every task's rows, one task per partition (see the module docstring)."""
    tf_origin = dict(zip(origins["timeframe"], pd.to_datetime(origins["fcst_origin"]), strict=True))
    tf_origin[FORWARD] = pd.Timestamp(forward_origin)
    keys = partition_keys(spark, len(tasks))
    tdf = spark.createDataFrame(
        [(t[0], t[1], t[2], t[3], keys[t[0]], None if t[3] == "*" else tf_origin[t[3]].date()) for t in tasks],
        "task_id int, kind string, bucket int, timeframe string, pkey bigint, origin date")
    stat_t = F.broadcast(tdf.where("bucket >= 0").select("task_id", "bucket"))
    ml_t = F.broadcast(tdf.where("bucket < 0").select("task_id", "origin"))
    parts = []
    for part, sdf in (("history", inputs.history), ("external", inputs.external), ("clusters", inputs.clusters)):
        b = sdf.withColumn("bucket", bucket_col(n_buckets))
        parts.append(_tagged(b.join(stat_t, "bucket"), part))
    made = F.add_months(F.col("target_month"), -(F.col("lag") + 1))  # lakecast.lag: origin of a legacy row
    parts += [
        _tagged(inputs.history.crossJoin(ml_t), "history"),
        _tagged(inputs.external.join(ml_t, made <= ml_t["origin"]), "external"),
        _tagged(inputs.statics.crossJoin(ml_t), "statics"),
        _tagged(inputs.promo_plan.crossJoin(ml_t), "promo_plan"),
        _tagged(inputs.clusters.join(ml_t, inputs.clusters["fcst_origin"] == ml_t["origin"]), "clusters"),
    ]
    union = parts[0]
    for p in parts[1:]:
        union = union.unionByName(p)
    pk = F.broadcast(tdf.select("task_id", "pkey"))
    return union.join(pk, "task_id").repartition(len(tasks), "pkey")


def split_parts(pdf: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The group's rows per part, with the part's columns and the dtypes ``toPandas`` gives them."""
    out = {}
    for part, cols in PARTS.items():
        rows = pdf.loc[pdf["_part"] == part, [n for n, _ in cols]].reset_index(drop=True)
        for n, t in cols:
            if t.simpleString() in PANDAS_INT:
                rows[n] = rows[n].astype(PANDAS_INT[t.simpleString()])
        out[part] = rows
    return out


def make_task_runner(tasks: list[tuple], origins: pd.DataFrame, forward_origin: pd.Timestamp,
                     stat_ids: list[str], ml_ids: list[str],
                     settings: Settings) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The function of one task's group (the union rows of :func:`task_frame`). Its closure is bounded: the
    task list, the origins, the model ids and the forecast settings."""
    fc = settings.forecast
    by_id = {t[0]: t for t in tasks}
    params = {"seed": fc.seed, "season_length": fc.season_length, "ml_params": dict(fc.ml_params)}

    def run_task(pdf: pd.DataFrame) -> pd.DataFrame:
        _, kind, bucket, timeframe = by_id[int(pdf["task_id"].iloc[0])]
        p = split_parts(pdf)
        h = p["history"].sort_values(["unique_id", "ds"], kind="mergesort").reset_index(drop=True)
        if h.empty:
            return pd.DataFrame(columns=TASK_COLUMNS)
        stat = bucket >= 0
        clusters = p["clusters"].assign(fcst_origin=pd.to_datetime(p["clusters"]["fcst_origin"]))
        ext = p["external"].sort_values(["unique_id", "target_month", "lag"], kind="mergesort")
        kw = {"clusters": clusters, "external": ext.reset_index(drop=True), **params,
              "statics": None if stat else p["statics"],  # per-series models read no statics
              "promo_plan": None if stat else p["promo_plan"]}  # ... nor the plan
        models = stat_ids if stat else ml_ids
        if kind == "backtest":
            ors = origins if timeframe == "*" else origins.loc[origins["timeframe"] == timeframe]
            out = backtest_frame(h, ors, models=models, horizon=fc.horizon, **kw)
        else:
            out = forecast_frame(h, origin=forward_origin, horizon=fc.forward_horizon, model_ids=models, **kw)
            out.insert(1, "timeframe", FORWARD)
            out["y"] = np.nan
        out = out[TASK_COLUMNS].copy()
        out["fcst_origin"] = pd.to_datetime(out["fcst_origin"]).dt.date
        out["target_month"] = pd.to_datetime(out["target_month"]).dt.date
        return out

    return run_task
