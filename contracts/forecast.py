"""Forecast contracts: forecasts with lineage, accuracy facts, clusters and the model competition (gold).

Written by the ``forecast`` job (spark_jobs/forecast.py) and the ``final`` job (approved overrides), read by
the API. One lag definition (lakecast/lag.py): ``target_month = fcst_origin + lag + 1`` months.

Scenarios in ``fact_forecast``:

* ``backtest``: expanding-window origins A..J (timeframe), every model plus ``combo_mean``, ``champion``
  (holdout timeframes only: the champion is chosen on earlier timeframes) and ``ceiling`` (oracle).
* ``baseline``: the forward forecast from the last month of actuals; every competing model run forward and
  ``champion`` (each DFU's champion refit on all history).
* ``final``: ``baseline`` champion with approved planner overrides folded in (``override_id`` lineage).

Every published baseline champion and final forecast is also kept as a *version* in ``fact_forecast_version``
(appended, never overwritten; lakecast/versions.py), from which ``forecast_waterfall`` (what was published at lags
4..0 for each target month, and the actual) and ``override_value`` (the value added by each approved override)
are rebuilt by the same jobs.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import Field

from contracts.base import LakecastModel, TableSpec

Scenario = Literal["backtest", "baseline", "final"]
SCENARIOS: tuple[str, ...] = get_args(Scenario)

#: Every model of the registry (lakecast.forecast.models.MODELS, which refuses to load when its ids differ): the
#: API types its model parameters with it without importing the model code.
ModelId = Literal[
    "adida", "auto_arima", "auto_ces", "auto_ets", "catboost_global", "catboost_per_cluster", "catboost_transfer",
    "croston_optimized", "dynamic_optimized_theta", "legacy_asis", "legacy_debiased", "legacy_vintages",
    "lgbm_global", "lgbm_per_cluster", "lgbm_transfer", "lgbm_tweedie_global", "optimized_theta", "seasonal_naive",
    "theta", "tsb", "xgb_global", "xgb_per_cluster", "xgb_transfer", "xgb_tweedie_global",
]
#: Model ids of rows the competition derives from the competitors (and the legacy forecast as ``external``).
DerivedModelId = Literal["champion", "ceiling", "external", "combo_mean"]
#: Any model id in the accuracy facts and the competition tables.
ScoredModelId = Literal[ModelId, DerivedModelId]
MODEL_IDS: tuple[str, ...] = get_args(ModelId)
DERIVED_MODEL_IDS: tuple[str, ...] = get_args(DerivedModelId)
PLANNING_GRAIN = "dfu_month"


class FactForecast(LakecastModel):
    scenario_id: str = Field(description="backtest | baseline | final")
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    model_id: str = Field(description="Model (e.g. theta, lgbm_global, combo_mean, champion, ceiling)")
    algorithm_id: str = Field(
        description="Model family: statsforecast | lightgbm | catboost | xgboost | "
        "ensemble | selection | oracle | override"
    )
    model_version: str = Field(description="Version of the model code and parameters (lakecast version + hash)")
    run_id: str = Field(description="Pipeline run that wrote the row (MLflow run id when tracking is on)")
    planning_grain: str = Field(description="Grain the forecast was made at (dfu_month)")
    timeframe: str = Field(
        description="Backtest origin label A..J (A = oldest); 'forward' for the baseline and final scenarios"
    )
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the forecast")
    target_month: dt.date = Field(description="Month forecast = fcst_origin + lag + 1")
    lag: int = Field(description="Lag in months (0 = one month ahead), see lakecast/lag.py")
    fcst_qty: float = Field(description="Forecast units")
    cluster_id: int | None = Field(None, description="DFU's cluster at the origin (computed from data <= origin)")
    source_model_id: str | None = Field(None, description="For champion rows: the model chosen for this DFU")
    override_id: str | None = Field(None, description="For final rows: the approved override applied, if any")
    fcst_lo_80: float | None = Field(None, description="Lower bound of the 80% prediction interval (units; conformal)")
    fcst_hi_80: float | None = Field(None, description="Upper bound of the 80% prediction interval (units)")
    fcst_lo_95: float | None = Field(None, description="Lower bound of the 95% prediction interval (units)")
    fcst_hi_95: float | None = Field(None, description="Upper bound of the 95% prediction interval (units)")


class FactForecastAccuracy(LakecastModel):
    scenario_id: str = Field(description="backtest (accuracy exists only where actuals exist)")
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    model_id: str = Field(description="Model, or 'external' for the legacy forecast on the same months and lags")
    algorithm_id: str = Field(description="Model family (see fact_forecast)")
    run_id: str = Field(description="Pipeline run that wrote the row")
    timeframe: str = Field(description="Backtest origin label A..J")
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the forecast")
    target_month: dt.date = Field(description="Month forecast")
    lag: int = Field(description="Lag in months")
    fcst_qty: float = Field(description="Forecast units")
    actual_qty: float = Field(description="Actual units of the target month (0 for a month without sales)")
    abs_error: float = Field(
        description="|fcst_qty - actual_qty|; WAPE = sum(abs_error) / sum(|actual_qty|) (lakecast.kpi)")
    cluster_id: int | None = Field(None, description="DFU's cluster at the origin")
    is_holdout: bool = Field(description="True on the competition's holdout timeframes (not used to choose)")
    fcst_lo_80: float | None = Field(None, description="Lower bound of the 80% prediction interval (units; conformal)")
    fcst_hi_80: float | None = Field(None, description="Upper bound of the 80% prediction interval (units)")
    fcst_lo_95: float | None = Field(None, description="Lower bound of the 95% prediction interval (units)")
    fcst_hi_95: float | None = Field(None, description="Upper bound of the 95% prediction interval (units)")


class DfuCluster(LakecastModel):
    dfu_id: str = Field(description="DFU key")
    fcst_origin: dt.date = Field(description="Origin the cluster was computed at (data <= origin only)")
    timeframe: str = Field(description="Backtest origin label A..J, or 'forward' for the current origin")
    cluster_id: int = Field(description="Cluster id at that origin")
    cluster_label: str = Field(description="Human-readable label, e.g. 'seasonal high-volume'")
    is_current: bool = Field(description="True for the clustering at the last month of actuals")
    run_id: str = Field(description="Pipeline run")


class DfuClusterCurrent(LakecastModel):
    dfu_id: str = Field(description="DFU key")
    cluster_id: int = Field(description="Current cluster id")
    cluster_label: str = Field(description="Human-readable label")
    fcst_origin: dt.date = Field(description="Last month of actuals the clustering saw")
    run_id: str = Field(description="Pipeline run")


class ClusterProfile(LakecastModel):
    cluster_id: int = Field(description="Cluster id (current clustering)")
    cluster_label: str = Field(description="Human-readable label")
    fcst_origin: dt.date = Field(description="Origin of the clustering")
    n_dfus: int = Field(description="DFUs in the cluster")
    share: float = Field(description="Share of DFUs, 0..1")
    volume: float | None = Field(None, description="Median mean monthly units (last 12 months)")
    cv: float | None = Field(None, description="Median coefficient of variation of monthly units")
    seasonality: float | None = Field(None, description="Median seasonality strength 0..1")
    trend: float | None = Field(None, description="Median relative trend per month")
    adi: float | None = Field(None, description="Median average demand interval (months)")
    cv2: float | None = Field(None, description="Median squared CV of non-zero demand")
    run_id: str = Field(description="Pipeline run")


class ChampionSelection(LakecastModel):
    dfu_id: str = Field(description="DFU key")
    champion_model_id: str = Field(description="Model chosen for the DFU")
    selection_metric: str = Field(description="Metric used to choose (wape, mae when wape is undefined, none)")
    selection_score: float | None = Field(None, description="Champion's metric on the selection window")
    selection_rows: int = Field(description="Scored rows behind the choice")
    holdout_wape: float | None = Field(None, description="Champion's WAPE on the later holdout window")
    holdout_rows: int = Field(description="Rows in the holdout score")
    is_fallback: bool = Field(description="True if no model had enough rows and the fallback model was used")
    competition_lag: int | None = Field(None, description="Lag the competition ran at (null = all lags)")
    selection_timeframes: str = Field(description="Timeframes used to choose, e.g. 'A,B,C,D,E,F'")
    holdout_timeframes: str = Field(description="Later timeframes used to score, e.g. 'I,J'")
    run_id: str = Field(description="Pipeline run")


class ModelScore(LakecastModel):
    model_id: str = Field(description="Model, combo_mean, champion, ceiling or external")
    algorithm_id: str = Field(description="Model family")
    n_rows: int = Field(description="DFU-months scored on the holdout at the competition lag")
    accuracy_pct: float | None = Field(None, description="100 x (1 - WAPE), floored at 0")
    wape: float | None = Field(None, description="sum|F-A| / sum|A|")
    bias: float | None = Field(None, description="sum F / sum A - 1")
    fva_vs_baseline: float | None = Field(None, description="Accuracy points over seasonal naive, same rows")
    fva_vs_external: float | None = Field(None, description="Accuracy points over the legacy forecast")
    gap_to_ceiling: float | None = Field(None, description="Accuracy points below the oracle ceiling")
    champion_share: float | None = Field(None, description="Share of DFUs whose champion this model is")
    competition_lag: int | None = Field(None, description="Lag the scores are at (null = all lags)")
    run_id: str = Field(description="Pipeline run")


class ModelScoreDetail(LakecastModel):
    model_id: str = Field(description="Model, combo_mean, champion, ceiling or external (the legacy forecast)")
    lag: int = Field(description="Lag of the scored rows (0..4)")
    segment: str = Field(description="DFU segment at the first holdout origin (cluster label), or 'all'")
    n_rows: int = Field(description="DFU-months scored on the holdout at this lag in this segment")
    accuracy_pct: float | None = Field(None, description="100 x (1 - WAPE), floored at 0")
    wape: float | None = Field(None, description="sum|F-A| / sum|A|")
    bias: float | None = Field(None, description="sum F / sum A - 1")
    srmse: float | None = Field(None, description="Scaled RMSE (scale = each DFU's mean |actual| on these rows)")
    rmsse: float | None = Field(None, description="M5 RMSSE: RMSE scaled by each DFU's mean squared one-step change "
                                                  "of its actuals up to the first holdout origin; the selection "
                                                  "metric of intermittent segments")
    wape_cum3: float | None = Field(None, description="WAPE of 3-month cumulative demand (lags 0-2 summed per DFU and "
                                                      "origin); the lens for intermittent demand; same on every lag")
    fva_vs_baseline: float | None = Field(None, description="Accuracy points over seasonal naive, same rows")
    fva_vs_external: float | None = Field(None, description="Accuracy points over the legacy forecast, same rows")
    gap_to_ceiling: float | None = Field(None, description="Accuracy points below the oracle ceiling")
    coverage_80: float | None = Field(None, description="Share of actuals inside the 80% interval")
    coverage_95: float | None = Field(None, description="Share of actuals inside the 95% interval")
    run_id: str = Field(description="Pipeline run")


class FactForecastVersion(LakecastModel):
    """One row of one published forecast version (lakecast/versions.py): kept for every cycle retained."""

    version_id: str = Field(description="Version = run_id of the job run that published it (forecast-... or final-...)")
    planning_cycle: str = Field(description="Planning cycle: month of the forecast origin (last month of actuals), "
                                            "YYYY-MM")
    scenario_id: str = Field(description="baseline (the statistical champion) | final (overrides folded in)")
    base_version_id: str | None = Field(None, description="For final versions: the baseline version (forecast run) "
                                                          "the overrides were folded into")
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the forecast")
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    target_month: dt.date = Field(description="Month forecast = fcst_origin + lag + 1")
    lag: int = Field(ge=0, description="Lag in months (0 = one month ahead), see lakecast/lag.py")
    model_id: str = Field(description="champion (baseline) or final")
    algorithm_id: str = Field(description="Model family of the row (override on a folded final row)")
    source_model_id: str | None = Field(None, description="The model the champion was for this DFU")
    model_version: str = Field(description="Version of the model code and parameters")
    override_id: str | None = Field(None, description="For final rows: the approved override folded in, if any")
    fcst_qty: float = Field(description="Forecast units")
    stat_qty: float = Field(description="Statistical (baseline champion) units the row was folded from; equals "
                                        "fcst_qty on baseline rows")
    published_at: dt.datetime = Field(description="UTC time the version was published (same on all its rows)")


class ForecastWaterfall(LakecastModel):
    """The forecast published for a DFU-month at each lag, from the standing version of that lag's cycle."""

    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    target_month: dt.date = Field(description="Month forecast")
    lag: int = Field(ge=0, le=4, description="Lag 0..4: published in cycle target_month - lag - 1")
    planning_cycle: str = Field(description="Cycle whose standing versions gave the cells (YYYY-MM)")
    fcst_origin: dt.date = Field(description="Forecast origin of that cycle = target_month - lag - 1 months")
    baseline_version_id: str | None = Field(None, description="Standing baseline version of the cycle (null: none)")
    baseline_qty: float | None = Field(None, description="Statistical (champion) forecast published, units")
    final_version_id: str | None = Field(None, description="Standing final version of the cycle (null: none)")
    final_qty: float | None = Field(None, description="Final forecast published (overrides folded in), units")
    override_id: str | None = Field(None, description="Approved override folded into final_qty, if any")
    actual_qty: float | None = Field(None, description="Actual units of the target month (0 for a month without "
                                                       "sales); null while not yet known")
    baseline_abs_error: float | None = Field(None, description="|baseline_qty - actual_qty| (null without both)")
    final_abs_error: float | None = Field(None, description="|final_qty - actual_qty| (null without both)")


class OverrideValue(LakecastModel):
    """Forecast value added by one approved override at one lag: the final forecast with it vs the statistical
    forecast it was folded from (without it), on the DFU-months it won in a standing final version (lags 0..4)
    whose actual is known."""

    override_id: str = Field(description="Override id (app database overrides.id)")
    lag: int = Field(ge=0, le=4, description="Lag of the published forecasts compared")
    n_rows: int = Field(ge=1, description="DFU-months with an actual (rows of gold.forecast_waterfall)")
    n_dfus: int = Field(ge=1, description="Distinct DFUs among them")
    first_month: dt.date = Field(description="First target month compared")
    last_month: dt.date = Field(description="Last target month compared")
    actual_qty: float = Field(description="Sum of actual units")
    abs_actual: float = Field(ge=0, description="Sum of |actual| units (the WAPE denominator)")
    baseline_qty: float = Field(description="Sum of the statistical forecast the override was folded into, units")
    final_qty: float = Field(description="Sum of the final forecast (with the override), units")
    baseline_abs_error: float = Field(ge=0, description="Sum |statistical - actual|, units")
    final_abs_error: float = Field(ge=0, description="Sum |final - actual|, units")
    fva: float | None = Field(None, description="Accuracy% of final minus Accuracy% of baseline, in points "
                                                "(lakecast.kpi); null when sum |actual| is 0")


_LINEAGE = {"dfu_id": "gold.dim_dfu.dfu_id"}

FORECAST_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "gold",
            "fact_forecast",
            FactForecast,
            "one row per scenario x DFU x model x origin x target month",
            primary_key=("scenario_id", "dfu_id", "model_id", "fcst_origin", "target_month"),
            partition_by=("scenario_id", "years(target_month)"),
            sort_by=("dfu_id", "model_id", "target_month", "lag"),
            served=True,
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "fact_forecast_accuracy",
            FactForecastAccuracy,
            "one row per scenario x DFU x model x origin x target month with an actual",
            primary_key=("scenario_id", "dfu_id", "model_id", "fcst_origin", "target_month"),
            partition_by=("years(target_month)",),
            sort_by=("model_id", "lag", "dfu_id", "target_month"),
            served=True,
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "dfu_cluster",
            DfuCluster,
            "one row per DFU per clustering origin",
            primary_key=("dfu_id", "fcst_origin"),
            sort_by=("fcst_origin", "dfu_id"),
            served=True,
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "dfu_cluster_current",
            DfuClusterCurrent,
            "one row per DFU (current clustering)",
            primary_key=("dfu_id",),
            sort_by=("dfu_id",),
            served=True,
        ),
        TableSpec(
            "gold",
            "cluster_profile",
            ClusterProfile,
            "one row per current cluster",
            primary_key=("cluster_id",),
            sort_by=("cluster_id",),
            served=True,
        ),
        TableSpec(
            "gold",
            "champion_selection",
            ChampionSelection,
            "one row per DFU (latest competition)",
            primary_key=("dfu_id",),
            sort_by=("dfu_id",),
            served=True,
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "model_scores",
            ModelScore,
            "one row per model (latest competition, holdout window)",
            primary_key=("model_id",),
            sort_by=("model_id",),
            served=True,
        ),
        TableSpec(
            "gold",
            "model_scores_detail",
            ModelScoreDetail,
            "one row per model x lag x segment (latest competition, holdout window; segment 'all' = every DFU)",
            primary_key=("model_id", "lag", "segment"),
            sort_by=("segment", "lag", "model_id"),
            served=True,
        ),
        TableSpec(
            "gold",
            "fact_forecast_version",
            FactForecastVersion,
            "one row per published version x DFU x target month (baseline and final; appended, never overwritten)",
            primary_key=("version_id", "dfu_id", "target_month"),
            partition_by=("planning_cycle", "scenario_id"),
            sort_by=("dfu_id", "target_month"),
            served=True,
            description="Every forecast the forecast and final jobs published, kept side by side; retention by "
            "cycle (versions.retain_cycles); snapshot expiry never removes a version (rows, not snapshots).",
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "forecast_waterfall",
            ForecastWaterfall,
            "one row per DFU x target month x lag 0..4 with a standing published version of that lag's cycle",
            primary_key=("dfu_id", "target_month", "lag"),
            partition_by=("years(target_month)",),
            sort_by=("dfu_id", "target_month", "lag"),
            served=True,
            description="Rebuilt from gold.fact_forecast_version and gold.fact_sales_monthly by every forecast and "
            "final run.",
            references=_LINEAGE,
        ),
        TableSpec(
            "gold",
            "override_value",
            OverrideValue,
            "one row per approved override x lag with at least one compared DFU-month (actual known)",
            primary_key=("override_id", "lag"),
            sort_by=("override_id", "lag"),
            served=True,
            description="Rebuilt from gold.fact_forecast_version and gold.fact_sales_monthly by every forecast and "
            "final run; planner and reason code live with the override in the app database.",
        ),
    )
}
