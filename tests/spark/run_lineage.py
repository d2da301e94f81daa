"""Compare tables across runs: drop what is new per run by design (run lineage) and keep what must be equal.

A run stamps its rows with its id (``run_id``) and, for forecast versions, with a version id and a publication
time; ``gold.fact_forecast_version`` is append-only, so a re-run adds a version beside the one before it. What
must not change is the *content*: every other column, and for the versions table the version that stands in each
(scenario, cycle) — the one published last — computed here with a window, independently of ``lakecast.versions``.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# columns whose value is new per run by design
RUN_STAMPS = ("run_id", "version_id", "base_version_id", "baseline_version_id", "final_version_id", "published_at")
VERSIONS = "gold.fact_forecast_version"


def comparable(df: DataFrame, fqn: str) -> DataFrame:
    """``df`` with run lineage left out; for the append-only versions table, only each cycle's standing version."""
    if fqn == "ops.gate_results":  # a log: its run ids are the content
        return df
    if fqn == VERSIONS and df.columns:
        last = Window.partitionBy("scenario_id", "planning_cycle").orderBy(
            F.col("published_at").desc(), F.col("version_id").desc()
        )
        ranked = df.select("scenario_id", "planning_cycle", "version_id", "published_at").distinct()
        ranked = ranked.withColumn("_rank", F.row_number().over(last)).where("_rank = 1").select("version_id")
        df = df.join(ranked, "version_id", "left_semi")
    return df.drop(*[c for c in RUN_STAMPS if c in df.columns])


def _norm(v):
    # a Spark sum's last bits depend on the order partitions are combined in: compare to 9 significant digits
    return float(f"{v:.9g}") if isinstance(v, float) and not math.isnan(v) else v


def rows(df: DataFrame) -> list[tuple]:
    """Every row of ``df`` as a tuple, floats to 9 significant digits, sorted."""
    return sorted((tuple(_norm(v) for v in r) for r in df.collect()), key=str)
