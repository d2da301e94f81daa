"""Every Spark job, by name. `lakecast run <job>` and `spark-submit spark_jobs/main.py <job>` both use this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    # tables the job reads (its inputs besides landing files and the app database): what `downstream` follows
    reads: tuple[str, ...] = ()

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
             "silver.external_forecast", "silver.promo_plan", "silver.quarantine", "ops.batch_reconciliation"),
            reads=("bronze.sales_lines", "bronze.item_master", "bronze.location_master", "bronze.customer_master",
                   "bronze.external_forecast", "bronze.promo_plan")),
        Job("gold", "spark_jobs.gold", "silver.* -> gold.* behind quality gates",
            ("gold.dim_item", "gold.dim_location", "gold.dim_customer", "gold.dim_calendar", "gold.dim_dfu",
             "gold.fact_sales_monthly", "gold.fact_external_forecast_monthly", "gold.fact_promo_plan",
             "gold.agg_loc_week",
             "gold.agg_loc_item_week", "gold.agg_loc_customer_week", "ops.gate_results"),
            # dim_dfu's classes move with new actuals: the accuracy pre-aggregates are rebuilt with it
            updates=("gold.agg_accuracy_cube", "gold.agg_accuracy_rollup", "gold.exceptions_topn"),
            # not gold.fact_forecast_accuracy: gold rebuilds the pre-aggregates from it, but a new forecast run
            # rebuilds them itself (a forecast change does not make gold rerun)
            reads=("silver.sales_lines", "silver.item", "silver.location", "silver.customer",
                   "silver.external_forecast", "silver.promo_plan", "ops.ingest_files", "gold.dfu_cluster_current")),
        Job("forecast", "spark_jobs.forecast",
            "gold facts -> clusters, backtests A..J, champion selection, forward forecast",
            ("gold.fact_forecast", "gold.fact_forecast_accuracy", "gold.dfu_cluster", "gold.dfu_cluster_current",
             "gold.cluster_profile", "gold.champion_selection", "gold.model_scores",
             "gold.model_scores_detail", "gold.agg_accuracy_cube", "gold.agg_accuracy_rollup",
             "gold.exceptions_topn", "gold.fact_forecast_version", "gold.forecast_waterfall",
             "gold.override_value"),
            updates=("gold.dim_dfu", "ops.gate_results"),
            reads=("gold.fact_sales_monthly", "gold.dim_dfu", "gold.dim_item", "gold.dim_location",
                   "gold.fact_external_forecast_monthly", "gold.fact_promo_plan")),
        # not in PIPELINE: reads approved overrides from the app database (must be running)
        Job("final", "spark_jobs.final",
            "approved overrides (app DB) + baseline champion -> gold.fact_forecast scenario final (+ its version)",
            (), updates=("gold.fact_forecast", "gold.fact_forecast_version", "gold.forecast_waterfall",
                         "gold.override_value", "ops.gate_results"),
            reads=("gold.fact_forecast", "gold.fact_sales_monthly")),
        # not in PIPELINE: owns no table; commits only `replace` snapshots (same rows) and expires/removes files
        Job("maintain", "spark_jobs.maintain",
            "every table: compact small files, rewrite manifests, expire snapshots (published ones kept), "
            "remove orphan files", ()),
    )
}

PIPELINE: tuple[str, ...] = ("bronze", "silver", "gold", "forecast")


def downstream(changed: Iterable[str]) -> list[str]:
    """The jobs to rerun, in registry order, after ``changed`` tables changed: every job that reads a changed table,
    and then every job reading what those rewrite (a job's own tables do not make it rerun itself)."""
    dirty = set(changed)
    out: list[str] = []
    for job in JOBS.values():
        if dirty & set(job.reads):
            out.append(job.name)
            dirty |= {*job.produces, *job.updates}
    return out


def get_job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}") from None
