"""Per-DFU descriptive features at an origin, computed ONLY from the panel (data with ds <= origin).

Definitions (``w`` = the last 12 months up to the origin, zeros included, months before a series started
excluded):

* ``volume``: mean monthly quantity over ``w``.
* ``cv``: std / mean over ``w`` (NaN when the mean is 0).
* ``seasonality``: seasonal strength over the last up-to-48 months, STL-free: detrend with a centred 2x12
  moving average, take month-of-year means of the detrended values as the seasonal component and report
  the degrees-of-freedom adjusted share ``max(0, 1 - (SS_rem/(n-12)) / (SS_det/(n-1)))`` so that white
  noise scores about 0. 0 with fewer than 2 full seasons + 1 month.
* ``trend``: (mean of the last 12 months - mean of the 12 before) / 12 / mean of the 24 months: growth per
  month as a fraction of the level, immune to seasonality; 0 with fewer than 24 months or a zero level.
* ``adi``: average demand interval = months observed / months with demand > 0 (whole visible history);
  ``cv2``: squared CV of the non-zero demand sizes (Syntetos-Boylan). ``sb_class`` is smooth / erratic /
  intermittent / lumpy with the usual cut-offs ADI 1.32 and CV^2 0.49.
* ``months_since_first_sale``, ``months_since_last_sale`` (0 = sold in the origin month; ``n_obs`` if
  never), ``lifecycle``: ``new`` (first sale < 12 months ago), ``dying`` (no sale for >= 6 months),
  else ``mature``.
* ``abc_class``: rank DFUs by ``volume`` (ties by unique_id); A while the cumulative share before the DFU is
  < 80%, B while < 95%, else C (zero volume is always C). ``xyz_class``: X cv <= 0.5, Y <= 1.0, else Z
  (undefined cv = Z). Both are relative to the DFUs in the panel, at the origin.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lakecast.dfu_classes import abc_classes, xyz_classes
from lakecast.forecast.panel import Panel, build_panel, month_index

ADI_CUT = 1.32
CV2_CUT = 0.49


def _window(p: Panel, n: int) -> np.ndarray:
    return p.y[:, -n:] if p.y.shape[1] >= n else np.pad(p.y, ((0, 0), (n - p.y.shape[1], 0)),
                                                        constant_values=np.nan)


def _nan_stats(x: np.ndarray):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=1)
        std = np.nanstd(x, axis=1)
    return mean, std


def _seasonality(p: Panel, season: int = 12) -> np.ndarray:
    n_win = 4 * season
    x = _window(p, n_win)
    out = np.zeros(x.shape[0])
    w = np.r_[0.5, np.ones(season - 1), 0.5] / season  # centred 2x12 moving average
    moy_all = (month_index(p.months[-1])[0] - np.arange(n_win)[::-1]) % season
    half = season // 2
    n_ok = (~np.isnan(x)).sum(axis=1)
    for length in np.unique(n_ok):
        if length < 2 * season + 1:
            continue
        rows = np.nonzero(n_ok == length)[0]
        v = x[rows][:, -length:]  # observations are contiguous up to the origin
        if np.isnan(v).any():
            continue
        m = moy_all[-length:]
        # moving average along axis 1 for all rows of this length at once
        trend = np.stack([np.convolve(r, w, mode="valid") for r in v]) if len(rows) < 4 else \
            np.lib.stride_tricks.sliding_window_view(v, w.size, axis=1) @ w
        det = v[:, half:half + trend.shape[1]] - trend
        mm = m[half:half + trend.shape[1]]
        if det.shape[1] <= season:
            continue
        onehot = (mm[:, None] == np.arange(season)[None, :]).astype(float)
        counts = np.maximum(onehot.sum(axis=0), 1)
        means = det @ onehot / counts
        rem = det - means @ onehot.T
        ss_rem = (rem**2).sum(axis=1)
        ss_det = ((det - det.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        # degrees-of-freedom adjusted (like adjusted R^2): pure noise scores ~0, not ~season/n
        with np.errstate(all="ignore"):
            val = 1.0 - (ss_rem / (det.shape[1] - season)) / (ss_det / (det.shape[1] - 1))
        out[rows] = np.where(ss_det > 0, np.maximum(val, 0.0), 0.0)
    return out


def _trend(p: Panel) -> np.ndarray:
    """Year-over-year change of the 12-month mean, per month, relative to the 24-month mean level."""
    x = _window(p, 24)
    full = ~np.isnan(x).any(axis=1)
    with np.errstate(all="ignore"):
        last, prev = x[:, 12:].mean(axis=1), x[:, :12].mean(axis=1)
        level = x.mean(axis=1)
        out = (last - prev) / 12.0 / level
    return np.where(full & (level > 0) & np.isfinite(out), out, 0.0)


def sb_classes(adi: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """Syntetos-Boylan demand class per DFU: smooth / erratic (ADI < 1.32) or intermittent / lumpy, by CV^2
    of the non-zero demand sizes (< 0.49 or not). The one definition of the intermittency class."""
    adi, cv2 = np.asarray(adi, dtype=float), np.asarray(cv2, dtype=float)
    return np.where(adi < ADI_CUT, np.where(cv2 < CV2_CUT, "smooth", "erratic"),
                    np.where(cv2 < CV2_CUT, "intermittent", "lumpy")).astype(object)


def _cv2_adjusted(p: Panel, season: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """CV^2 of the non-zero demand sizes after dividing out the local level (centred 12-month mean) and a
    multiplicative month-of-year index (last 48 months; index shrunk toward 1 with fewer than 2 observations of
    the month). Syntetos-Boylan's CV^2 is about size variability; a trend or a seasonal swing alone would
    otherwise make a steady DFU "erratic"."""
    raw = _window(p, 4 * season)
    local = pd.DataFrame(raw.T).rolling(season, center=True, min_periods=season // 2).mean().T.to_numpy()
    with np.errstate(all="ignore"):
        x = np.where((local > 0) & ~np.isnan(raw), raw / local, np.where(np.isnan(raw), np.nan, 0.0))
    n_t = x.shape[1]
    moy = (month_index(p.months[-1])[0] - np.arange(n_t)[::-1]) % max(season, 1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(x, axis=1)
        idx = np.ones_like(x)
        for m in range(season):
            cols = moy == m
            mm = np.nanmean(x[:, cols], axis=1)
            n = (~np.isnan(x[:, cols])).sum(axis=1)
            w = np.minimum(n, 2) / 2.0  # shrink the index toward 1 with one observation of the month
            ix = np.where(level > 0, mm / level, 1.0)
            idx[:, cols] = np.where(np.isfinite(ix), 1.0 + w * (ix - 1.0), 1.0)[:, None]
        adj = np.where(idx > 0.05, x / idx, x)
        sizes = np.where(np.nan_to_num(raw) > 0, adj, np.nan)
        m, sd = np.nanmean(sizes, axis=1), np.nanstd(sizes, axis=1)
        n_pos = (~np.isnan(sizes)).sum(axis=1)
        first = idx[:, -season:] if idx.shape[1] >= season else idx
        ratio = np.where(first.min(axis=1) > 0.05, first.max(axis=1) / first.min(axis=1), np.inf)
        cv2 = np.where((n_pos > 1) & (m > 0), (sd / m) ** 2, 0.0)
    return cv2, np.where(np.isfinite(ratio), ratio, 1.0)


def panel_features(p: Panel, season_length: int = 12) -> pd.DataFrame:
    """Feature frame (one row per series, sorted by unique_id) from a panel already cut at the origin."""
    y = p.y
    n_t = y.shape[1]
    w12 = _window(p, 12)
    volume, std12 = _nan_stats(w12)
    with np.errstate(all="ignore"):
        cv = np.where(volume > 0, std12 / volume, np.nan)
    obs = ~np.isnan(y)
    n_obs = obs.sum(axis=1)
    pos = np.nan_to_num(y) > 0
    n_pos = pos.sum(axis=1)
    with np.errstate(all="ignore"):
        adi = np.where(n_pos > 0, n_obs / np.maximum(n_pos, 1), np.inf)
    sizes = np.where(pos, y, np.nan)
    m_pos, s_pos = _nan_stats(sizes)
    with np.errstate(all="ignore"):
        cv2 = np.where(n_pos > 1, (s_pos / m_pos) ** 2, 0.0)
    cols = np.arange(n_t)
    first_sale = np.where(pos.any(axis=1), np.argmax(pos, axis=1), n_t)
    last_sale = np.where(pos.any(axis=1), n_t - 1 - np.argmax(pos[:, ::-1], axis=1), -1)
    since_first = np.where(first_sale < n_t, n_t - 1 - first_sale, -1)
    since_last = np.where(last_sale >= 0, n_t - 1 - last_sale, n_obs)
    del cols
    lifecycle = np.where(since_first < 0, "no_sales",
                         np.where(since_first < 12, "new", np.where(since_last >= 6, "dying", "mature")))
    sb = sb_classes(adi, cv2)
    adj_cv2, season_ratio = _cv2_adjusted(p, season_length) if season_length > 1 else (cv2, np.ones(len(cv2)))
    return pd.DataFrame({
        "unique_id": p.ids,
        "volume": np.nan_to_num(volume),
        "cv": cv,
        "seasonality": _seasonality(p, season_length) if season_length > 1 else 0.0,
        "trend": _trend(p),
        "adi": adi,
        "cv2": cv2,
        "cv2_adjusted": adj_cv2,
        "season_ratio": season_ratio,
        "sb_class": sb,
        "n_obs": n_obs,
        "months_since_first_sale": since_first,
        "months_since_last_sale": since_last,
        "lifecycle": lifecycle,
        "abc_class": abc_classes(volume, p.ids),
        "xyz_class": xyz_classes(cv),
    })


def dfu_features(history: pd.DataFrame, origin, season_length: int = 12) -> pd.DataFrame:
    """Features of every DFU of ``history`` at ``origin`` (uses only rows with ds <= origin)."""
    p = build_panel(history, origin)
    out = panel_features(p, season_length)
    out.insert(1, "fcst_origin", p.origin)
    return out
