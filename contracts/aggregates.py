"""Pre-aggregates the dashboards read (gold): the accuracy cube and the worst-DFU lists (``exceptions_topn``).

Both are built from ``gold.fact_forecast_accuracy`` (scenario ``backtest``) joined to ``gold.dim_dfu`` by
``spark_jobs/aggregates.py``, in the forecast job (published with the accuracy facts it sums) and again in the gold
job (which rebuilds ``dim_dfu``: ABC/XYZ classes and execution lags move with new actuals), so a served cube always
describes the served facts and DFU attributes. The API answers the dashboard endpoints from them when a request
only uses the dimensions they keep (``api/services/analytics/cube.py``; docs/api.md). The KPIs are ratios of the
sums kept here (``lakecast.kpi``).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, create_model

from contracts.base import LakecastModel, TableSpec

#: exceptions_topn keeps the first TOPN_RANKS DFUs (the /exceptions page size limit) of windows 1..TOPN_WINDOWS
TOPN_RANKS = 200
TOPN_WINDOWS = 12

_ACTUAL = "Sum of actual units"
_FORECAST = "Sum of forecast units"
_ABS_ERROR = "Sum of |forecast - actual| (units)"
_ABS_ACTUAL = "Sum of |actual| (units): the WAPE denominator"
_APE_SUM = "Sum of |F-A| / |A| over the rows with A != 0 (MAPE numerator; null when there is none)"
_APE_ROWS = "Rows with A != 0 (MAPE denominator)"


class AggAccuracyCube(LakecastModel):
    """Accuracy sums per model x lag x target month x DFU attributes. A DFU's attributes (location, region,
    category, cluster, ABC, XYZ, execution lag) are those of ``gold.dim_dfu`` when the cube was built."""

    model_id: str = Field(description="Model, combo_mean, champion, ceiling or external (the legacy forecast)")
    lag: int = Field(description="Lag in months (lakecast/lag.py)")
    timeframe: str = Field(description="Backtest origin label A..J (one per target month at a lag)")
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the forecast")
    target_month: dt.date = Field(description="Month forecast")
    location_id: str = Field(description="Location of the DFUs")
    region: str | None = Field(None, description="Current region of the location")
    category: str | None = Field(None, description="Current item category of the DFUs")
    cluster_id: int | None = Field(None, description="Current cluster of the DFUs (gold.dim_dfu)")
    cluster_label: str | None = Field(None, description="Label of cluster_id")
    abc_class: str = Field(description="ABC class of the DFUs")
    xyz_class: str = Field(description="XYZ class of the DFUs")
    is_execution_lag: bool = Field(description="lag = the DFUs' execution lag (the default lag of every KPI)")
    is_aligned: bool = Field(description="The DFU-month is forecast at every lag by the model (aligned lag curve)")
    prev_month_lag: dt.date | None = Field(
        None, description="Per DFU: the previous target month with a row of the model at this lag (null: none). "
        "A DFU's first row inside a month range [from, to] is the one with prev_month_lag < from, so distinct DFUs "
        "= sum(n_rows) over the cells with prev_month_lag IS NULL OR < from")
    prev_month_any: dt.date | None = Field(
        None, description="Per DFU: the target month of the model's previous row in (target_month, lag) order, any "
        "lag (the same month for every lag of a month but the lowest): distinct DFUs when lags are pooled")
    prev_month_aligned: dt.date | None = Field(
        None, description="Per DFU, aligned rows only: the previous aligned target month at this lag")
    n_rows: int = Field(ge=0, description="Accuracy rows (DFU x target month at the lag) pooled in the cell")
    actual_qty: float = Field(description=_ACTUAL)
    forecast_qty: float = Field(description=_FORECAST)
    abs_error: float = Field(ge=0, description=_ABS_ERROR)
    abs_actual: float = Field(ge=0, description=_ABS_ACTUAL)
    ape_sum: float | None = Field(None, description=_APE_SUM)
    ape_rows: int = Field(ge=0, description=_APE_ROWS)
    run_id: str = Field(description="Forecast run of the accuracy facts summed")


#: the cube without location and region: what the unfiltered dashboards read (far fewer rows at scale)
AggAccuracyRollup = create_model(
    "AggAccuracyRollup", __base__=LakecastModel,
    __doc__="The accuracy cube summed over locations (same columns without location_id and region).",
    **{name: (f.annotation, f) for name, f in AggAccuracyCube.model_fields.items()  # type: ignore[call-overload]
       if name not in ("location_id", "region")},
)


class ExceptionsTopn(LakecastModel):
    """The worst DFUs of ``/exceptions`` for the champion, unfiltered, per ranking, lag and window ``window=N``
    (the N target months ending at the last backtested month), ranks 1..``limit`` (top 200, the endpoint's most)."""

    rank_by: str = Field(description="error (sum |F-A|) | bias (|sum F - sum A|) | fva (sum|E_ref| - sum|E_model|, "
                                     "most negative first)")
    lag_spec: str = Field(description="execution | all | 0..4, as the API's lag parameter")
    model_id: str = Field(description="Model ranked (champion)")
    fva_vs: str = Field(description="FVA reference model (the API's default for model_id)")
    window_from: dt.date = Field(description="First target month of the window (inclusive)")
    window_to: dt.date = Field(description="Last target month of the window (the last backtested month)")
    rank: int = Field(ge=1, description="1 = worst; ties broken by dfu_id")
    total: int = Field(ge=1, description="DFUs ranked in this list (all of them, not only the ranks kept)")
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    category: str | None = Field(None, description="Current item category")
    region: str | None = Field(None, description="Current location region")
    abc_class: str = Field(description="ABC class")
    cluster_label: str | None = Field(None, description="Current cluster label")
    n_rows: int = Field(ge=1, description="Accuracy rows of the DFU pooled")
    actual_qty: float = Field(description=_ACTUAL)
    forecast_qty: float = Field(description=_FORECAST)
    abs_error: float = Field(ge=0, description=_ABS_ERROR)
    abs_actual: float = Field(ge=0, description=_ABS_ACTUAL)
    ape_sum: float | None = Field(None, description=_APE_SUM)
    ape_rows: int = Field(ge=0, description=_APE_ROWS)
    fva_units: float | None = Field(None, description="sum|E_ref| - sum|E_model| on the rows both have (units)")
    fva_model_abs_error: float | None = Field(None, description="The model's sum |F-A| on those rows")
    fva_ref_abs_error: float | None = Field(None, description="The reference's sum |F-A| on those rows")
    fva_abs_actual: float | None = Field(None, description="Sum |A| on those rows")
    run_id: str = Field(description="Forecast run of the accuracy facts ranked")


CUBE_KEY = ("model_id", "lag", "target_month", "location_id", "category", "cluster_id", "abc_class", "xyz_class",
            "is_execution_lag", "is_aligned", "prev_month_lag", "prev_month_any", "prev_month_aligned")
ROLLUP_KEY = tuple(k for k in CUBE_KEY if k != "location_id")

AGGREGATE_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("gold", "agg_accuracy_cube", AggAccuracyCube,
                  "one row per model x lag x target month x location x category x cluster x ABC x XYZ x execution-lag "
                  "flag x aligned flag x previous-month columns (backtest accuracy sums)",
                  primary_key=CUBE_KEY, partition_by=("years(target_month)",),
                  sort_by=("model_id", "lag", "target_month", "location_id"), served=True,
                  references={"location_id": "gold.dim_location.location_id"}),
        TableSpec("gold", "agg_accuracy_rollup", AggAccuracyRollup,
                  "one row per model x lag x target month x category x cluster x ABC x XYZ x execution-lag flag x "
                  "aligned flag x previous-month columns (agg_accuracy_cube summed over locations)",
                  primary_key=ROLLUP_KEY, partition_by=("years(target_month)",),
                  sort_by=("model_id", "lag", "target_month"), served=True),
        TableSpec("gold", "exceptions_topn", ExceptionsTopn,
                  "one row per ranking x lag x window x rank (the champion's worst DFUs, unfiltered)",
                  primary_key=("rank_by", "lag_spec", "model_id", "window_from", "window_to", "rank"),
                  sort_by=("rank_by", "lag_spec", "model_id", "window_from", "rank"), served=True,
                  references={"dfu_id": "gold.dim_dfu.dfu_id"}),
    )
}
