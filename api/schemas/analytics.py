"""Response (and request) models of the analytics read API: KPIs, trends, slices, exceptions, drilldown,
metadata, the model competition, clusters and ops.

Units: quantities are units (not currency); ``accuracy_pct`` and FVA are accuracy points (0..100 scale);
``wape`` and ``bias`` are fractions (0.25 = 25 %); ``mape`` is percent. A metric whose denominator is zero is
``null`` (never NaN, never a silent 0), as in ``lakecast.forecast.metrics``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field

from contracts.app import OverridePublic, RunStatus
from contracts.base import LakecastModel
from lakecast.settings import CompetitionSettings

# ---------------------------------------------------------------------------------------------- parameters
#: The lag of an accuracy answer: one lag 0..MAX_LAG (lakecast.lag; api.services.analytics.common checks the
#: digits against it), ``execution`` (each DFU at its execution lag) or ``all`` (every lag pooled).
LagChoice = Literal["0", "1", "2", "3", "4", "execution", "all"]
#: /accuracy/slice ``by`` (api.services.analytics.accuracy.SLICE_DIMENSIONS has one entry per value).
SliceDimension = Literal["category", "brand", "supplier", "region", "abc_class", "xyz_class", "cluster", "location",
                         "item", "customer", "dfu", "lag", "model", "timeframe"]
#: /accuracy/slice ``sort`` (SLICE_SORTS).
SliceSort = Literal["actual_qty", "forecast_qty", "abs_error", "n_rows", "wape", "accuracy_pct", "bias", "abs_bias",
                    "key"]
SortOrder = Literal["asc", "desc"]
#: /exceptions ``rank_by`` (api.services.analytics.exceptions_topn.RANKINGS).
Ranking = Literal["error", "bias", "fva"]
#: /clusters/{id}/members ``sort`` (api.services.analytics.clusters.MEMBER_SORTS).
MemberSort = Literal["dfu_id", "qty_12m"]


# ---------------------------------------------------------------------------------------------- shared
class TimeWindow(LakecastModel):
    """The inclusive month range a time-based answer covers (first-of-month dates)."""

    from_month: dt.date = Field(description="First month (inclusive)")
    to_month: dt.date | None = Field(description="Last month (inclusive); null = up to the end of the data")
    months: int | None = Field(description="Months in the range (null when open-ended)")
    anchor_month: dt.date = Field(description="Last month with actuals; `window=N` ends here")


class Metrics(LakecastModel):
    """Pooled over rows (sums first, then ratios), never averaged per DFU."""

    n_rows: int = Field(description="Forecast rows (DFU x target month at the lag) pooled")
    n_dfus: int = Field(description="Distinct DFUs among the rows")
    actual_qty: float = Field(description="Sum of actual units")
    forecast_qty: float = Field(description="Sum of forecast units")
    abs_error: float = Field(description="Sum of |forecast - actual| (units)")
    wape: float | None = Field(description="sum|F-A| / sum|A| (fraction); null when sum|A| = 0")
    accuracy_pct: float | None = Field(description="100 x (1 - WAPE), floored at 0")
    bias: float | None = Field(description="sum F / sum A - 1 (fraction; > 0 over-forecast); null when sum A = 0")
    mape: float | None = Field(description="Mean of 100 |F-A| / |A| over rows with A != 0 (percent)")


class Page(LakecastModel):
    total: int = Field(description="Rows matching (all pages)")
    limit: int
    offset: int


# ---------------------------------------------------------------------------------------------- metadata
class DimensionValue(LakecastModel):
    value: str
    label: str | None = Field(None, description="Readable name (e.g. cluster or location name)")
    n_dfus: int | None = Field(None, description="DFUs with this value (null for model_id, lag, timeframe)")


class Dimension(LakecastModel):
    name: str = Field(description="Query parameter / `by=` value, e.g. category")
    description: str
    n_values: int
    truncated: bool = Field(description="True when only the first `max_values` are listed (use /meta/search)")
    values: list[DimensionValue]


class DimensionsResponse(LakecastModel):
    dimensions: list[Dimension]


class SearchHit(LakecastModel):
    kind: Literal["item", "location", "customer"]
    id: str
    name: str
    detail: str | None = Field(None, description="Category (items), region (locations/customers)")
    n_dfus: int | None = Field(None, description="DFUs of the item/location (customers: of its locations)")


class SearchResponse(LakecastModel):
    q: str
    kind: Literal["item", "location", "customer"]
    items: list[SearchHit]


# ---------------------------------------------------------------------------------------------- accuracy
class KpiResponse(Metrics):
    model_id: str
    lag: LagChoice = Field(description="0..4, 'execution' (each DFU at its execution lag) or 'all'")
    window: TimeWindow
    filters: dict[str, list[str]] = Field(description="Dimension filters applied")


class TrendPoint(Metrics):
    month: dt.date = Field(description="Target month")


class TrendSeries(LakecastModel):
    model_id: str
    points: list[TrendPoint]


class TrendResponse(LakecastModel):
    lag: LagChoice
    window: TimeWindow
    filters: dict[str, list[str]]
    series: list[TrendSeries]


class SliceRow(Metrics):
    key: str | None = Field(description="Dimension value (null: attribute missing)")
    label: str | None = None


class SlicePage(Page):
    by: SliceDimension
    model_id: str | None = Field(description="Model (null when slicing by model)")
    lag: LagChoice
    window: TimeWindow
    filters: dict[str, list[str]]
    sort: str = Field(description="The sort applied: a SliceSort and its direction, e.g. 'actual_qty desc'")
    items: list[SliceRow]


class LagPoint(Metrics):
    lag: int


class LagCurveSeries(LakecastModel):
    model_id: str
    points: list[LagPoint]


class LagCurveResponse(LakecastModel):
    window: TimeWindow
    aligned: bool = Field(description="Only DFU-months forecast at every lag (same actuals for each lag)")
    filters: dict[str, list[str]]
    series: list[LagCurveSeries]


class SparkPoint(LakecastModel):
    month: dt.date
    actual_qty: float
    forecast_qty: float


class ExceptionRow(Metrics):
    rank: int = Field(description="1 = worst")
    dfu_id: str
    item_id: str
    location_id: str
    category: str | None
    region: str | None
    abc_class: str
    cluster_label: str | None
    bias_units: float = Field(description="sum F - sum A (units)")
    fva_units: float | None = Field(description="sum|E_ref| - sum|E_model| on the rows both have (units)")
    fva_pts: float | None = Field(
        description="FVA in accuracy points: Accuracy% of the model minus the reference's, on those rows")
    series: list[SparkPoint] = Field(description="Actual and forecast per target month (sparkline)")


class ExceptionPage(Page):
    rank_by: Ranking
    model_id: str
    fva_vs: str
    lag: LagChoice
    window: TimeWindow
    filters: dict[str, list[str]]
    items: list[ExceptionRow]


# ---------------------------------------------------------------------------------------------- drilldown
class DfuInfo(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dfu_id: str
    item_id: str
    location_id: str
    item_name: str | None = None
    location_name: str | None = None
    category: str | None
    brand: str | None
    supplier: str | None
    region: str | None
    abc_class: str
    xyz_class: str
    execution_lag: int
    first_month: dt.date
    last_month: dt.date
    qty_12m: float
    cluster_id: int | None
    cluster_label: str | None


class ChampionInfo(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    champion_model_id: str
    selection_metric: str
    selection_score: float | None
    selection_rows: int
    holdout_wape: float | None
    holdout_rows: int
    is_fallback: bool
    competition_lag: int | None
    selection_timeframes: str
    holdout_timeframes: str
    run_id: str


class ActualPoint(LakecastModel):
    month: dt.date
    qty: float


class ForecastPoint(LakecastModel):
    target_month: dt.date
    fcst_origin: dt.date
    lag: int
    timeframe: str
    fcst_qty: float
    source_model_id: str | None = None
    override_id: str | None = None
    fcst_lo_80: float | None = Field(None, description="Lower bound of the 80% prediction interval (units; null "
                                                       "when the row has none, e.g. the legacy forecast)")
    fcst_hi_80: float | None = Field(None, description="Upper bound of the 80% prediction interval (units)")
    fcst_lo_95: float | None = Field(None, description="Lower bound of the 95% prediction interval (units)")
    fcst_hi_95: float | None = Field(None, description="Upper bound of the 95% prediction interval (units)")


class ForecastSeries(LakecastModel):
    scenario_id: str = Field(description="backtest | baseline | final | external (the legacy forecast)")
    model_id: str
    points: list[ForecastPoint]


class DrilldownResponse(LakecastModel):
    dfu: DfuInfo
    lag: str = Field(description="Lag of the backtest and external series shown")
    window: TimeWindow
    champion: ChampionInfo | None
    actuals: list[ActualPoint]
    external: ForecastSeries | None = Field(description="Legacy forecast at the lag")
    backtest: list[ForecastSeries] = Field(description="Every model's backtest forecasts at the lag")
    baseline: list[ForecastSeries] = Field(description="Forward forecast of every model and the champion")
    final: ForecastSeries | None = Field(
        description="The final forecast: the baseline champion with the overrides approved at the time of the "
        "request folded in (lakecast/final.py); null when the window holds no baseline champion month")
    overrides: list[OverridePublic] = Field(description="The DFU's overrides in the app database (any status)")
    as_of_cycle: str | None = Field(None, description="With as_of_cycle: the cycle; baseline (champion only) and "
                                    "final are the versions published as of it")
    as_of_versions: list[str] = Field(default_factory=list, description="With as_of_cycle: the version ids served")


# ---------------------------------------------------------------------------------------------- competition
class CompetitionConfigBody(CompetitionSettings):
    """A competition config to store: the fields of lakecast.settings.CompetitionSettings (unknown fields are
    refused)."""

    model_config = ConfigDict(extra="forbid")


class CompetitionConfigOut(LakecastModel):
    config: CompetitionSettings
    source: Literal["stored", "settings"] = Field(description="stored = saved through the API; else conf/")
    version: int | None = Field(description="Id of the stored version (null for conf/)")
    updated_by: str | None
    updated_at: dt.datetime | None


class CompetitionRunRequest(LakecastModel):
    config: CompetitionConfigBody | None = Field(None, description="Config to try; default = the active one")


class ModelScoreOut(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    model_id: str
    algorithm_id: str | None = None
    n_rows: int
    accuracy_pct: float | None
    wape: float | None
    bias: float | None
    fva_vs_baseline: float | None = None
    fva_vs_external: float | None = None
    gap_to_ceiling: float | None = None
    champion_share: float | None = None


class ChampionShare(LakecastModel):
    model_id: str
    n_dfus: int
    share: float


class CompetitionRunResult(LakecastModel):
    config: CompetitionSettings
    source: Literal["request", "stored", "settings"]
    competition_lags: list[int | None] = Field(description="Lags the DFUs competed at (null = all lags)")
    selection_timeframes: list[str]
    holdout_timeframes: list[str]
    n_dfus: int
    n_fallback: int
    changed_vs_published: int = Field(description="DFUs whose champion differs from gold.champion_selection")
    champion_share: list[ChampionShare]
    scores: list[ModelScoreOut]
    seconds: float


class CompetitionSummary(LakecastModel):
    run_id: str | None
    competition_lags: list[int | None]
    selection_timeframes: list[str]
    holdout_timeframes: list[str]
    n_dfus: int
    n_fallback: int
    champion_share: list[ChampionShare]
    scores: list[ModelScoreOut] = Field(description="gold.model_scores, best accuracy first")


class ModelScoreDetailOut(LakecastModel):
    """One row of ``gold.model_scores_detail``: a model's holdout scores at one lag in one segment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    model_id: str = Field(description="Model, combo_mean, champion, ceiling or external (the legacy forecast)")
    lag: int = Field(description="Lag of the scored rows (0..4)")
    segment: str = Field(description="DFU segment at the first holdout origin (cluster label), or 'all'")
    n_rows: int = Field(description="DFU-months scored")
    accuracy_pct: float | None = Field(description="100 x (1 - WAPE), floored at 0")
    wape: float | None = Field(description="sum|F-A| / sum|A| (fraction)")
    bias: float | None = Field(description="sum F / sum A - 1 (fraction)")
    srmse: float | None = Field(description="Scaled RMSE (scale = each DFU's mean |actual| on these rows)")
    rmsse: float | None = Field(None, description="M5 RMSSE (RMSE scaled by each DFU's mean squared one-step change "
                                                  "up to the first holdout origin); intermittent segments' metric")
    wape_cum3: float | None = Field(description="WAPE of 3-month cumulative demand (lags 0-2 summed per DFU and "
                                                "origin; the same on every lag)")
    fva_vs_baseline: float | None = Field(description="Accuracy points over seasonal naive, on the rows both have")
    fva_vs_external: float | None = Field(description="Accuracy points over the legacy forecast, same rows")
    gap_to_ceiling: float | None = Field(description="Accuracy points below the oracle ceiling, same rows")
    coverage_80: float | None = Field(description="Share of actuals inside the 80% interval (0..1)")
    coverage_95: float | None = Field(description="Share of actuals inside the 95% interval (0..1)")


class SegmentInfo(LakecastModel):
    segment: str = Field(description="Segment label ('all' = every DFU)")
    intermittent: bool = Field(description="Intermittent, lumpy or dying demand: DFU-month Accuracy% is the wrong "
                                           "lens (an unbiased forecast has DFU-month WAPE near or above 100%); "
                                           "read wape_cum3 (3-month cumulative demand) instead")


class CompetitionDetail(LakecastModel):
    run_id: str | None = Field(description="Pipeline run that wrote gold.model_scores_detail")
    lags: list[int] = Field(description="Lags in the table")
    segments: list[SegmentInfo] = Field(description="Every segment in the table ('all' first, then by label)")
    models: list[str] = Field(description="Every model in the table, by id")
    rows: list[ModelScoreDetailOut] = Field(description="Rows matching the filters, by segment ('all' first), lag, "
                                                        "model")


# ---------------------------------------------------------------------------------------------- clusters
class ClusterProfileOut(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    cluster_id: int
    cluster_label: str
    fcst_origin: dt.date
    n_dfus: int
    share: float
    volume: float | None
    cv: float | None
    seasonality: float | None
    trend: float | None
    adi: float | None
    cv2: float | None
    run_id: str


class ClusterList(LakecastModel):
    items: list[ClusterProfileOut]


class ClusterMember(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    dfu_id: str
    item_id: str
    location_id: str
    category: str | None
    region: str | None
    abc_class: str
    xyz_class: str
    qty_12m: float
    champion_model_id: str | None


class ClusterMemberPage(Page):
    cluster_id: int
    cluster_label: str
    sort: MemberSort
    items: list[ClusterMember]


# ---------------------------------------------------------------------------------------------- ops
class PipelineRunOut(LakecastModel):
    run_id: str
    job: str
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    details: dict[str, Any]
    mlflow_run_id: str | None = None
    mlflow_url: str | None = Field(None, description="Link to the run in the MLflow UI (server tracking only)")


class TableSnapshot(LakecastModel):
    table: str
    snapshot_id: int | None = Field(description="Current Iceberg snapshot (null: not published)")


class RunsPage(Page):
    items: list[PipelineRunOut]
    snapshots: list[TableSnapshot] = Field(description="Current snapshot of every served table")


class GateResultOut(LakecastModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    run_id: str
    table_name: str
    gate: str
    column_name: str | None
    passed: bool
    observed: float | None
    threshold: float | None
    detail: str
    checked_at: dt.datetime


class GatePage(Page):
    items: list[GateResultOut]


class QuarantineRule(LakecastModel):
    source_table: str
    rule: str
    rows: int


class QuarantineTable(LakecastModel):
    source_table: str
    rows_landed: int
    rows_accepted: int
    rows_quarantined: int


class QuarantineSummary(LakecastModel):
    total: int = Field(description="Rows in silver.quarantine")
    by_rule: list[QuarantineRule] = Field(description="Quarantined rows per table and rule, most first")
    by_table: list[QuarantineTable] = Field(description="Per table, from ops.batch_reconciliation")
