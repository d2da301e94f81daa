"""Every Spark job, by name. `lakecast run <job>` and `spark-submit spark_jobs/main.py <job>` both use this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str
    module: str
    description: str
    produces: tuple[str, ...]
    # tables the job also writes to without owning them (e.g. a column update, its rows in a shared log)
    updates: tuple[str, ...] = ()

    def load(self) -> Callable[..., Any]:
        """Return the job's `run(spark, settings, progress=None)` callable (imported lazily)."""
        import importlib

        return importlib.import_module(self.module).run


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("bronze", "spark_jobs.bronze", "landing files -> bronze.* (rows as delivered + batch metadata)",
            ("bronze.sales_lines", "bronze.item_master", "bronze.location_master", "bronze.customer_master",
             "bronze.external_forecast", "bronze.promo_plan", "ops.ingest_files")),
        Job("silver", "spark_jobs.silver", "bronze.* -> silver.* (typed, validated, SCD2, quarantine)",
            ("silver.sales_lines", "silver.item", "silver.location", "silver.customer",
             "silver.external_forecast", "silver.promo_plan", "silver.quarantine", "ops.batch_reconciliation")),
        Job("gold", "spark_jobs.gold", "silver.* -> gold.* behind quality gates",
            ("gold.dim_item", "gold.dim_location", "gold.dim_customer", "gold.dim_calendar", "gold.dim_dfu",
             "gold.fact_sales_monthly", "gold.fact_external_forecast_monthly", "gold.fact_promo_plan",
             "gold.agg_loc_week",
             "gold.agg_loc_item_week", "gold.agg_loc_customer_week", "ops.gate_results")),
        Job("forecast", "spark_jobs.forecast",
            "gold facts -> clusters, backtests A..J, champion selection, forward forecast",
            ("gold.fact_forecast", "gold.fact_forecast_accuracy", "gold.dfu_cluster", "gold.dfu_cluster_current",
             "gold.cluster_profile", "gold.champion_selection", "gold.model_scores",
             "gold.model_scores_detail"),
            updates=("gold.dim_dfu", "ops.gate_results")),
        # not in PIPELINE: reads approved overrides from the app database (must be running)
        Job("final", "spark_jobs.final",
            "approved overrides (app DB) + baseline champion -> gold.fact_forecast scenario final",
            (), updates=("gold.fact_forecast", "ops.gate_results")),
        # not in PIPELINE: owns no table; commits only `replace` snapshots (same rows) and expires/removes files
        Job("maintain", "spark_jobs.maintain",
            "every table: compact small files, rewrite manifests, expire snapshots (published ones kept), "
            "remove orphan files", ()),
    )
}

PIPELINE: tuple[str, ...] = ("bronze", "silver", "gold", "forecast")


def get_job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}") from None
