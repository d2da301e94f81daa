"""The legacy (external) forecast as a model input, leak-free.

The legacy system's forecast made at origin month ``o`` for lag ``k`` (target ``o + k + 1``, see
:mod:`lakecast.lag`) is known at ``o``. At a forecast origin we therefore use:

* the legacy forecasts *made at* that origin (the future it predicts), and
* the legacy forecasts whose *target month* is <= the origin, paired with their actuals, to learn how the
  legacy system errs (its bias).

Nothing else: a legacy forecast made after the origin, or an error whose actual is after the origin, never
reaches a model. :func:`legacy_cube` builds the one array every consumer reads, from rows with
``fcst_origin <= origin`` only; :func:`bias_ratio` reads only targets <= the anchor month.

A DFU missing from a delivery is a forecast of 0 (:func:`legacy_cube`, ``absent_as_zero``): the legacy export
lists the DFUs the legacy system plans, for the months it plans them; once it stops planning a DFU (a phase-out)
its rows stop. Read at origin ``o``: if the delivery made at ``o`` exists (it has rows for some DFU) and the DFU
had a legacy row at some origin <= ``o`` (the legacy system knew it), every lag of ``o`` the delivery leaves
out for that DFU is 0. A DFU the legacy system has never listed stays unknown (NaN). All of it is read from
rows made at or before ``o``.

Debiasing rule (``legacy_debiased``): per DFU, the ratio of summed actuals to summed legacy forecasts over
the last ``window`` target months (every lag pooled: the bias is a property of the DFU, and pooling gives
more rows), shrunk toward 1 (no correction) with ``kappa`` pseudo-rows:
``r = (n * A/F + kappa) / (n + kappa)``. With little history ``r`` stays near 1; with 24 months x 5 lags it
is close to the observed ratio. The factor is clipped to [``R_MIN``, ``R_MAX``].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lakecast.lag import MAX_LAG

WINDOW = 24  # target months of legacy errors used for the bias
KAPPA = 10.0  # pseudo-rows of "no bias" the ratio is shrunk toward
R_MIN, R_MAX = 0.5, 2.0
N_LAGS = MAX_LAG + 1


def normalise_external(external: pd.DataFrame) -> pd.DataFrame:
    """``unique_id, fcst_origin, target_month, lag, fcst_qty`` with month-start dates.

    ``fcst_origin`` is derived from the lag definition when absent (target = origin + lag + 1)."""
    need = {"unique_id", "target_month", "lag", "fcst_qty"}
    missing = need - set(external.columns)
    if missing:
        raise ValueError(f"external forecast is missing columns {sorted(missing)}")
    e = external.copy()
    e["unique_id"] = e["unique_id"].astype(str)
    e["target_month"] = pd.to_datetime(e["target_month"]).dt.to_period("M").dt.to_timestamp()
    e["lag"] = e["lag"].astype(int)
    if "fcst_origin" in e.columns:
        e["fcst_origin"] = pd.to_datetime(e["fcst_origin"]).dt.to_period("M").dt.to_timestamp()
    else:
        months = e["target_month"].dt.year * 12 + e["target_month"].dt.month - 1 - e["lag"] - 1
        e["fcst_origin"] = pd.to_datetime(
            {"year": months // 12, "month": months % 12 + 1, "day": 1})
    e["fcst_qty"] = pd.to_numeric(e["fcst_qty"], errors="coerce").astype(float)
    return e[["unique_id", "fcst_origin", "target_month", "lag", "fcst_qty"]]


def legacy_cube(external: pd.DataFrame | None, ids: np.ndarray, months: pd.DatetimeIndex,
                n_lags: int = N_LAGS, absent_as_zero: bool = True) -> np.ndarray | None:
    """(N, T, L) array: ``cube[i, t, k]`` = the legacy forecast made at ``months[t]`` for lag ``k``.

    Only rows made at or before the last month of ``months`` (the origin) are read. Where a row is absent:
    0 if the delivery of ``months[t]`` exists and the DFU had a row at some origin <= ``months[t]``
    (``absent_as_zero``, see the module docstring), else NaN."""
    if external is None:
        return None
    e = external if "fcst_origin" in external.columns and external["fcst_origin"].dtype.kind == "M" \
        else normalise_external(external)
    e = e.loc[(e["fcst_origin"] <= months[-1]) & (e["fcst_origin"] >= months[0]) & (e["lag"] < n_lags)
              & (e["lag"] >= 0)]
    cube = np.full((len(ids), len(months), n_lags), np.nan)
    if e.empty:
        return cube
    row = pd.Index(ids).get_indexer(e["unique_id"])
    m0 = months[0].year * 12 + months[0].month - 1
    col = (e["fcst_origin"].dt.year * 12 + e["fcst_origin"].dt.month - 1 - m0).to_numpy()
    ok = row >= 0
    cube[row[ok], col[ok], e["lag"].to_numpy()[ok]] = e["fcst_qty"].to_numpy()[ok]
    if absent_as_zero:
        delivered = np.zeros(len(months), dtype=bool)
        delivered[np.unique(col)] = True  # a delivery exists for this origin (rows of any DFU)
        listed = np.zeros((len(ids), len(months)), dtype=bool)
        listed[row[ok], col[ok]] = True
        known = np.maximum.accumulate(listed, axis=1)  # the DFU was listed at this origin or an earlier one
        zero = np.isnan(cube) & (known & delivered[None, :])[:, :, None]
        cube[zero] = 0.0
    return cube


def target_aligned(cube: np.ndarray) -> np.ndarray:
    """(N, T, L): ``out[i, m, k]`` = the legacy forecast for target month ``m`` made at lag ``k``
    (made at ``m - k - 1``); NaN when it was not made inside the cube's months."""
    n, t, n_lags = cube.shape
    out = np.full_like(cube, np.nan)
    for k in range(n_lags):
        if t - k - 1 > 0:
            out[:, k + 1:, k] = cube[:, : t - k - 1, k]
    return out


class BiasStats:
    """Trailing sums of actuals and legacy forecasts over target months, for the bias at any anchor."""

    def __init__(self, y: np.ndarray, cube: np.ndarray, lags: tuple[int, ...] | None = None):
        ta = target_aligned(cube)
        if lags is not None:
            ta = ta[:, :, list(lags)]
        yy = np.repeat(np.nan_to_num(y)[:, :, None], ta.shape[2], axis=2)
        ok = ~np.isnan(ta) & ~np.isnan(y)[:, :, None]
        a = np.where(ok, yy, 0.0).sum(axis=2)
        f = np.where(ok, ta, 0.0).sum(axis=2)
        n = ok.sum(axis=2).astype(float)
        pad = lambda v: np.concatenate([np.zeros((v.shape[0], 1)), np.cumsum(v, axis=1)], axis=1)  # noqa: E731
        self.ca, self.cf, self.cn = pad(a), pad(f), pad(n)

    def ratio(self, t: int, window: int = WINDOW, kappa: float = KAPPA) -> np.ndarray:
        """(N,) shrunk actual/legacy ratio from targets in (t - window, t]."""
        lo = max(0, t + 1 - window)
        a = self.ca[:, t + 1] - self.ca[:, lo]
        f = self.cf[:, t + 1] - self.cf[:, lo]
        n = self.cn[:, t + 1] - self.cn[:, lo]
        with np.errstate(all="ignore"):
            raw = np.where(f > 0, a / f, 1.0)
        raw = np.where(n > 0, raw, 1.0)
        r = (n * raw + kappa) / (n + kappa)
        return np.clip(r, R_MIN, R_MAX)


def vintages(cube: np.ndarray, t: int, k: int) -> np.ndarray:
    """(N, L - k): the legacy forecasts of target month ``t + k + 1`` made at ``t, t-1, ...`` (lags k..L-1).

    All of them were made at or before ``t``: the legacy system's earlier views of the same month."""
    n_lags = cube.shape[2]
    out = np.full((cube.shape[0], n_lags - k), np.nan)
    for j in range(k, n_lags):
        made = t - (j - k)
        if made >= 0:
            out[:, j - k] = cube[:, made, j]
    return out


def cached(cache: dict, key, make):
    """``cache[key]``, computed by ``make()`` only on the first call (``dict.setdefault`` would build it every time)."""
    if key not in cache:
        cache[key] = make()
    return cache[key]


def lag_error_weights(y: np.ndarray, cube: np.ndarray, t: int, window: int = WINDOW,
                      ta: np.ndarray | None = None) -> np.ndarray:
    """(L,) inverse mean squared error of the legacy forecast per lag, pooled over DFUs, from targets in
    (t - window, t] (errors known at ``t``); equal weights where a lag has no scored row. ``ta``: the cube's
    :func:`target_aligned` view when the caller already has it."""
    ta = target_aligned(cube) if ta is None else ta
    lo = max(0, t + 1 - window)
    err = ta[:, lo:t + 1, :] - y[:, lo:t + 1, None]
    ok = np.isfinite(err)
    n = ok.sum(axis=(0, 1))
    with np.errstate(all="ignore"):
        mse = np.where(n > 0, np.where(ok, err**2, 0.0).sum(axis=(0, 1)) / np.maximum(n, 1), np.nan)
    w = np.where(np.isfinite(mse) & (mse > 0), 1.0 / mse, np.nan)
    return np.where(np.isnan(w), np.nanmean(w) if np.isfinite(w).any() else 1.0, w)


def vintage_mean(cube: np.ndarray, weights: np.ndarray, t: int, k: int) -> np.ndarray:
    """(N,) weighted mean of :func:`vintages` (weights per lag); NaN where no vintage exists."""
    v = vintages(cube, t, k)
    w = np.where(np.isnan(v), 0.0, weights[k:][None, :])
    with np.errstate(all="ignore"):
        return np.where(w.sum(axis=1) > 0, (np.nan_to_num(v) * w).sum(axis=1) / w.sum(axis=1), np.nan)
