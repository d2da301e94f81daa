"""Prediction intervals for every model: split-conformal, from backtest residuals known at the origin.

For each model x lag x segment, the residuals ``r = (y - f) / sqrt(max(f, 1))`` of backtest rows whose actual
was known at the origin (target month in the ``CAL_MONTHS`` months up to the origin) give the empirical
quantiles ``q(a/2)`` and ``q(1 - a/2)``; an interval at level ``1 - a`` is ``f + [q_lo, q_hi] * sqrt(max(f, 1))``,
clipped at 0. The square-root scale (count data: variance grows with the level) lets one set of quantiles serve
DFUs of every size; scaling by ``f`` itself over-covered small forecasts and under-covered large ones.

* Rows forecast at origin ``o`` (every backtest origin, and the forward one) are calibrated on residuals with
  target in ``(o - CAL_MONTHS, o]``: nothing after the origin of the forecast being covered. The oldest origin
  has no calibration rows and gets no interval.
* A model x lag x segment with fewer than ``MIN_CAL`` rows falls back to model x lag (all segments); forward
  lags beyond the backtested ones use the model's last backtested lag (likely too narrow there).
The same method for statistical, gradient-boosted, legacy-based and combined models (documented in
docs/decisions.md), so coverage is comparable across families. Coverage is measured on the holdout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVELS = (80, 95)
MIN_CAL = 30
CAL_MONTHS = 6
COLUMNS = [f"fcst_{side}_{lv}" for lv in LEVELS for side in ("lo", "hi")]


def _residuals(frame: pd.DataFrame) -> pd.Series:
    f = frame["fcst_qty"].to_numpy(dtype=float)
    return pd.Series((frame["y"].to_numpy(dtype=float) - f) / np.sqrt(np.maximum(f, 1.0)), index=frame.index)


def quantiles(calibration: pd.DataFrame, by: tuple[str, ...] = ("model_id", "lag", "segment")) -> pd.DataFrame:
    """Per group: ``n_cal`` and the lower / upper residual quantile of each level (columns q_lo_80, ...)."""
    cal = calibration.loc[calibration["y"].notna() & calibration["fcst_qty"].notna()]
    cal = cal.assign(_r=_residuals(cal))
    g = cal.groupby(list(by), sort=True)["_r"]
    out = g.size().rename("n_cal").to_frame()
    for lv in LEVELS:
        a = (1 - lv / 100) / 2
        out[f"q_lo_{lv}"] = g.quantile(a)
        out[f"q_hi_{lv}"] = g.quantile(1 - a)
    return out.reset_index()


def apply(frame: pd.DataFrame, calibration: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with interval columns :data:`COLUMNS` from ``calibration`` rows (both need model_id, lag,
    segment, fcst_qty; calibration also y). Groups too small use the model x lag quantiles; none -> NaN."""
    fine = quantiles(calibration)
    fine = fine.loc[fine["n_cal"] >= MIN_CAL].drop(columns="n_cal")
    coarse = quantiles(calibration, by=("model_id", "lag")).drop(columns="n_cal")
    out = frame.merge(fine, on=["model_id", "lag", "segment"], how="left")
    qcols = [c for c in fine.columns if c.startswith("q_")]
    back = frame[["model_id", "lag"]].merge(coarse, on=["model_id", "lag"], how="left")
    # lags beyond the backtest horizon (forward months 6..12) take the model's last backtested lag: an
    # approximation (errors keep growing with the lag, so these intervals are likely too narrow)
    last = coarse.sort_values("lag").groupby("model_id").tail(1).drop(columns="lag")
    far = frame[["model_id"]].merge(last, on="model_id", how="left")
    for c in qcols:
        out[c] = out[c].fillna(pd.Series(back[c].to_numpy(), index=out.index))
        out[c] = out[c].fillna(pd.Series(far[c].to_numpy(), index=out.index))
    scale = np.sqrt(np.maximum(out["fcst_qty"].to_numpy(dtype=float), 1.0))
    for lv in LEVELS:
        out[f"fcst_lo_{lv}"] = np.maximum(out["fcst_qty"] + out[f"q_lo_{lv}"] * scale, 0.0)
        out[f"fcst_hi_{lv}"] = np.maximum(out["fcst_qty"] + out[f"q_hi_{lv}"] * scale, 0.0)
    return out.drop(columns=qcols)


def coverage(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of actuals inside each interval, per ``by`` group (rows with an actual and an interval)."""
    d = frame.loc[frame["y"].notna() & frame["fcst_lo_80"].notna()]
    cols = {}
    for lv in LEVELS:
        cols[f"coverage_{lv}"] = ((d["y"] >= d[f"fcst_lo_{lv}"] - 1e-9) & (d["y"] <= d[f"fcst_hi_{lv}"] + 1e-9))
    return pd.DataFrame(cols).assign(**{b: d[b] for b in by}).groupby(by).agg(
        n_rows=("coverage_80", "size"), **{c: (c, "mean") for c in cols}).reset_index()


def by_origin(frame: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Intervals for every row of ``frame``, origin by origin, each calibrated on the rows of ``scored``
    (backtest rows with actuals) whose target month is in ``(origin - CAL_MONTHS, origin]``."""
    parts = []
    for origin, rows in frame.groupby("fcst_origin", sort=True):
        lo = pd.Timestamp(origin) - pd.DateOffset(months=CAL_MONTHS)
        cal = scored.loc[(scored["target_month"] <= origin) & (scored["target_month"] > lo)]
        if cal.empty:
            parts.append(rows.assign(**{c: np.nan for c in COLUMNS}))
        else:
            parts.append(apply(rows, cal))
    return pd.concat(parts, ignore_index=True) if parts else frame.assign(**{c: np.nan for c in COLUMNS})
