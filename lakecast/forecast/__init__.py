"""Lakecast forecasting core: pure pandas/numpy (Spark calls it through applyInPandas).

Long Nixtla frames everywhere: ``unique_id`` (dfu_id), ``ds`` (month start), ``y`` (+ optional ``price``,
``promo``). The lag definition is :mod:`lakecast.lag`. See docs/forecasting.md.
"""

from lakecast.forecast.backtest import (
    BACKTEST_COLUMNS,
    FORECAST_COLUMNS,
    backtest_frame,
    forecast_at,
    forecast_frame,
    make_origins,
)
from lakecast.forecast.champion import (
    CompetitionConfig,
    CompetitionResult,
    add_combo,
    ceiling_forecasts,
    champion_forecasts,
    resolve_windows,
    run_competition,
    score_models,
    select_champions,
)
from lakecast.forecast.clustering import ClusterResult, cluster_assignments, cluster_dfus, cluster_features
from lakecast.forecast.features import dfu_features, panel_features
from lakecast.forecast.models import DEFAULT_MODELS, MODELS, ModelSpec
from lakecast.forecast.panel import build_panel, statics_asof

__all__ = [
    "BACKTEST_COLUMNS", "FORECAST_COLUMNS", "backtest_frame", "forecast_at", "forecast_frame", "make_origins",
    "CompetitionConfig", "CompetitionResult", "add_combo", "ceiling_forecasts", "champion_forecasts",
    "resolve_windows", "run_competition", "score_models", "select_champions",
    "ClusterResult", "cluster_assignments", "cluster_dfus", "cluster_features",
    "dfu_features", "panel_features", "DEFAULT_MODELS", "MODELS", "ModelSpec", "build_panel", "statics_asof",
]
