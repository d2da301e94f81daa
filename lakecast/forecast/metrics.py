"""Forecast accuracy metrics over arrays. All pooled over the rows given unless the name says ``per_series``.

Signature: ``metric(actual, forecast, **kw) -> float | None``. WAPE, Accuracy%, bias and MAPE reduce the arrays to
sums and apply the one definition of :mod:`lakecast.kpi` (the API's and the chat's SQL renders the same).

* Empty input, length mismatch or NaN anywhere raises ``ValueError`` (drop unscored rows first).
* When a metric's denominator is zero (e.g. ``sum|A| == 0`` for WAPE, no non-zero actual for MAPE, a
  constant training series for MASE) the metric is *undefined* and the function returns ``None`` -- never
  NaN, never a silent 0. Callers that aggregate (e.g. champion selection) treat ``None`` as "cannot score".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from lakecast import kpi

ArrayLike = Sequence[float] | np.ndarray
SeriesIds = Sequence[str] | np.ndarray  # one series id (``unique_id``) per value


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.size == 0:
        raise ValueError("metric of an empty input is undefined: got 0 actual values")
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.size} vs {f.size}")
    if np.isnan(a).any() or np.isnan(f).any():
        raise ValueError("actual/forecast contain NaN: drop unscored rows before computing a metric")
    return a, f


def wape(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """Weighted absolute percentage error ``sum|F-A| / sum|A|`` as a fraction; None if ``sum|A| == 0``."""
    a, f = _pair(actual, forecast)
    return kpi.wape(float(np.abs(f - a).sum()), float(np.abs(a).sum()))


def accuracy_pct(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """``100 * (1 - WAPE)`` floored at 0; None when WAPE is undefined."""
    return kpi.accuracy_pct(wape(actual, forecast))


def bias(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """``sum F / sum A - 1`` (positive = over-forecast); None if ``sum A == 0``."""
    a, f = _pair(actual, forecast)
    return kpi.bias(float(f.sum()), float(a.sum()))


def mae(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """Mean absolute error."""
    a, f = _pair(actual, forecast)
    return float(np.abs(f - a).mean())


def mape(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """Mean of ``100*|F-A|/|A|`` over rows with ``A != 0`` (percent); None if every actual is 0."""
    a, f = _pair(actual, forecast)
    nz = a != 0
    return kpi.mape(float((np.abs(f[nz] - a[nz]) / np.abs(a[nz])).sum()), int(nz.sum()))


def smape(actual: ArrayLike, forecast: ArrayLike, **_: object) -> float | None:
    """M3 sMAPE in percent: mean of ``200*|F-A|/(|F|+|A|)``; a row with ``F == A == 0`` scores 0."""
    a, f = _pair(actual, forecast)
    den = np.abs(f) + np.abs(a)
    terms = np.divide(200.0 * np.abs(f - a), den, out=np.zeros_like(a), where=den > 0)
    return float(terms.mean())


def mase_scale(insample: ArrayLike, season_length: int = 1) -> float | None:
    """In-sample MAE of the seasonal naive forecast (lag ``season_length``).

    Falls back to lag 1 when the series is not longer than ``season_length``; None if that is impossible
    too (fewer than 2 points) or the scale is 0 (constant series).
    """
    x = np.asarray(insample, dtype=float).ravel()
    x = x[~np.isnan(x)]
    m = season_length if x.size > season_length else 1
    if x.size <= m:
        return None
    scale = float(np.mean(np.abs(x[m:] - x[:-m])))
    return None if scale == 0 else scale


def mase(actual: ArrayLike, forecast: ArrayLike, *, insample: ArrayLike, season_length: int = 1,
         **_: object) -> float | None:
    """Mean absolute scaled error of ONE series: ``mean|F-A| / mase_scale(insample, season_length)``."""
    a, f = _pair(actual, forecast)
    scale = mase_scale(insample, season_length)
    return None if scale is None else float(np.abs(f - a).mean() / scale)


def mean_mase_per_series(actual: ArrayLike, forecast: ArrayLike, *, unique_id: SeriesIds,
                         insample: Mapping[str, ArrayLike], season_length: int = 1,
                         **_: object) -> float | None:
    """MASE computed per series (each with its own in-sample scale) then averaged (M3/M4 style).

    Series whose MASE is undefined are skipped; None if no series can be scored.
    """
    a, f = _pair(actual, forecast)
    ids = np.asarray(unique_id).ravel()
    if ids.shape != a.shape:
        raise ValueError("unique_id must have one entry per actual value")
    scores = []
    for uid in dict.fromkeys(ids.tolist()):
        sel = ids == uid
        if uid not in insample:
            raise ValueError(f"no in-sample series for {uid!r}")
        s = mase(a[sel], f[sel], insample=insample[uid], season_length=season_length)
        if s is not None:
            scores.append(s)
    return float(np.mean(scores)) if scores else None


def mean_smape_per_series(actual: ArrayLike, forecast: ArrayLike, *, unique_id: SeriesIds,
                          **_: object) -> float | None:
    """sMAPE per series, then averaged over series (equals pooled sMAPE when all horizons are equal)."""
    a, f = _pair(actual, forecast)
    ids = np.asarray(unique_id).ravel()
    if ids.shape != a.shape:
        raise ValueError("unique_id must have one entry per actual value")
    return float(np.mean([smape(a[ids == u], f[ids == u]) for u in dict.fromkeys(ids.tolist())]))


# metric name -> (function, lower_is_better). Used by champion selection.
def srmse(actual, forecast, scale=None) -> float | None:
    """Scaled RMSE: sqrt(mean(((f - a) / scale)^2)); ``scale`` per row (e.g. the DFU's mean |actual| over the
    window), default the mean |actual|. Minimised by the mean, so unlike WAPE/MAE (minimised by the median)
    it does not reward forecasting zero for intermittent demand."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    if a.size == 0:
        return None
    s = np.full(a.size, np.abs(a).mean()) if scale is None else np.asarray(scale, dtype=float)
    s = np.where(s > 0, s, 1.0)
    return float(np.sqrt(np.mean(((f - a) / s) ** 2)))


def rmsse_scale(insample: ArrayLike) -> float | None:
    """M5 (Makridakis et al. 2022) RMSSE scale of ONE series: the mean squared one-step change of its in-sample
    values from its first non-zero value on (leading zeros are "not yet launched", as in M5). None if fewer than
    2 such points or the series never changes (no scale)."""
    x = np.asarray(insample, dtype=float).ravel()
    x = x[~np.isnan(x)]
    nz = np.flatnonzero(x != 0)
    if nz.size == 0:
        return None
    x = x[nz[0]:]
    if x.size < 2:
        return None
    scale = float(np.mean(np.diff(x) ** 2))
    return None if scale == 0 else scale


def rmsse(actual, forecast, scale) -> float | None:
    """Pooled RMSSE of rows that carry their series' M5 scale (:func:`rmsse_scale`, from data up to the decision
    origin only): ``sqrt(mean((F-A)^2 / scale))`` over rows with ``scale > 0``. Minimised by the mean (unlike
    WAPE/MAE, it does not reward a zero forecast for intermittent demand); the scale is fixed per series, so
    a month of sparse actuals does not blow one DFU's weight up. None if no row has a positive scale."""
    a, f = _pair(actual, forecast)
    s = np.asarray(scale, dtype=float).ravel()
    ok = np.isfinite(s) & (s > 0)
    return float(np.sqrt(np.mean((f[ok] - a[ok]) ** 2 / s[ok]))) if ok.any() else None


def scaled_mae(actual, forecast, scale) -> float | None:
    """Pooled MASE of rows that carry their own scale: ``mean(|F-A| / scale)`` over rows with ``scale > 0``,
    ``scale`` per row = the series' in-sample seasonal-naive MAE (:func:`mase_scale`) from the data up to the
    row's forecast origin only. Scale-free (unlike pooled MAE); with equal rows per series it is the mean over
    series of their MASE. None if no row has a positive scale."""
    a, f = _pair(actual, forecast)
    s = np.asarray(scale, dtype=float).ravel()
    ok = np.isfinite(s) & (s > 0)
    return float(np.mean(np.abs(f[ok] - a[ok]) / s[ok])) if ok.any() else None


# metric id -> (fn(actual, forecast, ...) -> score or None, lower is better); the keyword arguments differ
METRICS: dict[str, tuple[Callable[..., float | None], bool]] = {
    "wape": (wape, True),
    "srmse": (srmse, True),
    "rmsse": (rmsse, True),  # needs a per-row scale (column ``rmsse_scale``: champion.rmsse_scales)
    "mase": (scaled_mae, True),  # needs a per-row scale (column ``mase_scale`` in champion selection)
    "mae": (mae, True),
    "smape": (smape, True),
    "mape": (mape, True),
    "accuracy_pct": (accuracy_pct, False),
    "abs_bias": (lambda a, f, **kw: None if (b := bias(a, f)) is None else abs(b), True),
}
