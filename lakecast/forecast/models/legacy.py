"""The legacy (external) forecast as models: ``legacy_asis`` (as delivered), ``legacy_debiased`` (corrected by
each DFU's bias) and ``legacy_vintages`` (its earlier forecasts of the same month combined).

``legacy_asis`` makes the incumbent a candidate like any other: where the legacy forecast is the best on a
segment's selection window, the champion keeps it instead of replacing it with something worse.

The bias factor comes from :class:`lakecast.forecast.legacy.BiasStats` -- legacy errors whose target month is
<= the origin only, every lag pooled, shrunk toward no correction where history is short. Horizons the legacy
system does not cover (beyond its lag 4) and DFUs it has no forecast for get the seasonal naive value times
the same factor's neutral 1 (the value of the same month last year), or the last season's mean where there is
no year of history.
"""

from __future__ import annotations

import numpy as np

from lakecast.forecast.legacy import BiasStats, cached, lag_error_weights, vintage_mean
from lakecast.forecast.models.base import ForecastContext, ModelSpec, fallback_level
from lakecast.forecast.panel import Panel


def _seasonal_naive(panel: Panel, h: int, season: int) -> np.ndarray:
    n_t = panel.y.shape[1]
    out: np.ndarray = np.full((panel.n_series, h), np.nan)
    for k in range(h):
        col = n_t - season + (k % season) if season > 0 else n_t - 1
        if 0 <= col < n_t:
            out[:, k] = panel.y[:, col]
    fb = fallback_level(panel, season)
    return np.where(np.isnan(out), fb[:, None], out)


def legacy_asis(panel: Panel, ctx: ForecastContext) -> np.ndarray:
    """The legacy forecast made at the origin, unchanged; seasonal naive where it has none (see the module)."""
    if ctx.legacy is None:
        raise ValueError("legacy_asis needs the legacy forecast: pass external=... (the legacy forecast frame) to "
                         "backtest_frame / forecast_frame")
    h = ctx.horizon
    out: np.ndarray = np.full((panel.n_series, h), np.nan)
    k = min(h, ctx.legacy.shape[2])
    out[:, :k] = ctx.legacy[:, -1, :k]
    out = np.where(np.isnan(out), _seasonal_naive(panel, h, ctx.season_length), out)
    return np.maximum(out, 0.0) if ctx.nonnegative else out


def legacy_debiased(panel: Panel, ctx: ForecastContext) -> np.ndarray:
    if ctx.legacy is None:
        raise ValueError("legacy_debiased needs the legacy forecast: pass external=... (the legacy forecast "
                         "frame) to backtest_frame / forecast_frame")
    h = ctx.horizon
    n_lags = ctx.legacy.shape[2]
    out: np.ndarray = np.full((panel.n_series, h), np.nan)
    t = panel.y.shape[1] - 1
    for k in range(min(h, n_lags)):
        stats = cached(ctx.cache, ("legacy_bias", k), lambda k=k: BiasStats(panel.y, ctx.legacy, lags=(k,)))
        out[:, k] = ctx.legacy[:, -1, k] * stats.ratio(t)
    fill = _seasonal_naive(panel, h, ctx.season_length)
    out = np.where(np.isnan(out), fill, out)
    return np.maximum(out, 0.0) if ctx.nonnegative else out


def legacy_vintages(panel: Panel, ctx: ForecastContext) -> np.ndarray:
    """Debiased, inverse-MSE weighted mean of every legacy forecast of the target made up to the origin."""
    if ctx.legacy is None:
        raise ValueError("legacy_vintages needs the legacy forecast: pass external=...")
    t = panel.y.shape[1] - 1
    ratio = cached(ctx.cache, "legacy_bias", lambda: BiasStats(panel.y, ctx.legacy)).ratio(t)
    w = cached(ctx.cache, ("legacy_lag_weights", t), lambda: lag_error_weights(panel.y, ctx.legacy, t))
    h, n_lags = ctx.horizon, ctx.legacy.shape[2]
    out: np.ndarray = np.full((panel.n_series, h), np.nan)
    for k in range(min(h, n_lags)):
        out[:, k] = vintage_mean(ctx.legacy, w, t, k) * ratio
    out = np.where(np.isnan(out), _seasonal_naive(panel, h, ctx.season_length), out)
    return np.maximum(out, 0.0) if ctx.nonnegative else out


def legacy_specs() -> dict[str, ModelSpec]:
    return {
        "legacy_asis": ModelSpec(
            "legacy_asis", "legacy", "local", legacy_asis,
            "The legacy forecast made at the origin, as delivered (the incumbent as a candidate)"),
        "legacy_debiased": ModelSpec(
            "legacy_debiased", "legacy", "local", legacy_debiased,
            "Legacy forecast x the DFU's shrunk actual/legacy ratio (learnt from errors with target <= origin)"),
        "legacy_vintages": ModelSpec(
            "legacy_vintages", "legacy", "local", legacy_vintages,
            "Debiased inverse-MSE weighted mean of all legacy forecasts of the target made up to the origin"),
    }
