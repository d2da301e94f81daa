"""Model interface shared by statistical and ML models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lakecast.forecast.panel import Panel


@dataclass
class ForecastContext:
    """Everything a model may use at one origin besides the panel. All of it is known at the origin.

    ``clusters`` and ``statics`` are aligned row-by-row with ``panel.ids``. ``cache`` is scratch space shared
    by the models of ONE origin (feature matrices, the global base model reused by ``*_transfer``).
    """

    horizon: int
    season_length: int = 12
    seed: int = 0
    clusters: np.ndarray | None = None  # (N,) int cluster ids computed at the origin
    statics: np.ndarray | None = None  # (N, S) float codes of static attributes valid at the origin
    static_names: list[str] = field(default_factory=list)
    static_is_cat: list[bool] = field(default_factory=list)
    nonnegative: bool = True
    ml_params: dict = field(default_factory=dict)
    # (N, T, L) legacy forecasts made at each panel month for lags 0..L-1 (lakecast.forecast.legacy), or None
    legacy: np.ndarray | None = None
    # (N, T, H) planned discount (%) for each panel month's next H months, as the plan stood then (forecast.promo)
    promo_plan: np.ndarray | None = None
    cache: dict = field(default_factory=dict)


# fn(panel, ctx) -> array (N, horizon): column h-1 is the forecast for origin + h months (lag h-1)
ModelFn = Callable[[Panel, ForecastContext], np.ndarray]


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    family: str  # stat | lgbm | catboost | xgb
    strategy: str  # local (one model per series) | global | per_cluster | transfer
    fn: ModelFn
    description: str = ""
    needs_clusters: bool = False


def fallback_level(panel: Panel, season_length: int = 12) -> np.ndarray:
    """Mean of the last ``min(n, season_length)`` observed values per series (0 if none)."""
    out = np.zeros(panel.n_series)
    for i in range(panel.n_series):
        v = panel.y[i][~np.isnan(panel.y[i])]
        if v.size:
            out[i] = v[-max(1, min(v.size, season_length)):].mean()
    return out
