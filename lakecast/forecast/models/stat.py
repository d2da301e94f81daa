"""statsforecast models, one fitted per series ("local" strategy).

Series with fewer than ``MIN_OBS`` observations, series a model fails on, and horizons a model leaves NaN
(SeasonalNaive on a series shorter than a season) get :func:`fallback_level` (mean of the last season).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    TSB,
    AutoARIMA,
    AutoCES,
    AutoETS,
    CrostonOptimized,
    DynamicOptimizedTheta,
    Naive,
    OptimizedTheta,
    SeasonalNaive,
    Theta,
)

from lakecast.forecast.models.base import ForecastContext, ModelSpec, fallback_level
from lakecast.forecast.panel import Panel

MIN_OBS = 3

FACTORIES = {
    "seasonal_naive": (lambda m: SeasonalNaive(season_length=m),
                       "Seasonal naive: value of the same month last year"),
    "auto_ets": (lambda m: AutoETS(season_length=m), "ETS with automatic model selection (AICc)"),
    "auto_arima": (lambda m: AutoARIMA(season_length=m), "Seasonal ARIMA with automatic order selection"),
    "auto_ces": (lambda m: AutoCES(season_length=m),
                 "Complex exponential smoothing, automatic choice of seasonality type (AIC)"),
    "theta": (lambda m: Theta(season_length=m), "Standard Theta (M3 winner), seasonally adjusted"),
    "optimized_theta": (lambda m: OptimizedTheta(season_length=m), "Theta with optimised theta parameter"),
    "dynamic_optimized_theta": (lambda m: DynamicOptimizedTheta(season_length=m),
                                "Dynamic optimised Theta"),
    "croston_optimized": (lambda m: CrostonOptimized(), "Croston with optimised smoothing (intermittent)"),
    "tsb": (lambda m: TSB(alpha_d=0.1, alpha_p=0.1), "Teunter-Syntetos-Babai, alpha_d = alpha_p = 0.1"),
    "adida": (lambda m: ADIDA(), "Aggregate-disaggregate intermittent demand approach"),
}


def _run(model_id: str, panel: Panel, ctx: ForecastContext) -> np.ndarray:
    h = ctx.horizon
    out = np.full((panel.n_series, h), np.nan)
    n_obs = (~np.isnan(panel.y)).sum(axis=1)
    fit_rows = np.nonzero(n_obs >= MIN_OBS)[0]
    if fit_rows.size:
        long = panel.subset(fit_rows).to_long()
        model = FACTORIES[model_id][0](ctx.season_length)
        sf = StatsForecast(models=[model], freq="MS", n_jobs=1, fallback_model=Naive())
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=long, h=h)
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        col = [c for c in fc.columns if c not in ("unique_id", "ds", "index")][0]
        step = (fc["ds"].dt.year * 12 + fc["ds"].dt.month - panel.origin.year * 12 - panel.origin.month)
        r = pd.Index(panel.ids).get_indexer(fc["unique_id"].astype(str))
        ok = (r >= 0) & (step >= 1) & (step <= h)
        out[r[ok], step[ok].to_numpy() - 1] = fc[col].to_numpy(dtype=float)[ok]
    fb = fallback_level(panel, ctx.season_length)
    bad = ~np.isfinite(out)
    out[bad] = np.broadcast_to(fb[:, None], out.shape)[bad]
    if ctx.nonnegative:
        out = np.maximum(out, 0.0)
    return out


def stat_specs() -> dict[str, ModelSpec]:
    def make(mid):
        return lambda panel, ctx: _run(mid, panel, ctx)

    return {mid: ModelSpec(mid, "stat", "local", make(mid), desc) for mid, (_, desc) in FACTORIES.items()}
