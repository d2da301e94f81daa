"""Forecast contracts: forecasts with lineage, accuracy facts, clusters and the model competition (gold).

Written by the ``forecast`` job (spark_jobs/forecast.py) and the ``final`` job (approved overrides), read by
the API. One lag definition (lakecast/lag.py): ``target_month = fcst_origin + lag + 1`` months.

Scenarios in ``fact_forecast``:

* ``backtest``: expanding-window origins A..J (timeframe), every model plus ``combo_mean``, ``champion``
  (holdout timeframes only: the champion is chosen on earlier timeframes) and ``ceiling`` (oracle).
* ``baseline``: the forward forecast from the last month of actuals; every competing model run forward and
  ``champion`` (each DFU's champion refit on all history).
* ``final``: ``baseline`` champion with approved planner overrides folded in (``override_id`` lineage).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from contracts.base import LakecastModel, TableSpec

SCENARIOS = ("backtest", "baseline", "final")
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
    )
}
