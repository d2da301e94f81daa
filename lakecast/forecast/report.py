"""Holdout scores by lag and segment: what planners look at (champion vs legacy vs seasonal naive).

Input: long holdout rows (``unique_id, fcst_origin, target_month, lag, model_id, fcst_qty, y`` and optionally
the interval columns of :mod:`lakecast.forecast.intervals`), with the legacy forecast as ``model_id =
'external'`` and the oracle as ``'ceiling'``. Every FVA and the gap to the ceiling are computed on the rows both
models have (:func:`lakecast.forecast.champion.score_models`), so comparisons are like with like.

``wape_cum3`` sums each DFU-origin's lags 0..2 before taking the error: for intermittent demand the month a
lump lands in is noise, so DFU-month accuracy is near 0 for *any* unbiased forecast (an order of 2 units in a
month forecast at 0.7 is 186% wrong), while the 3-month quantity is what replenishment acts on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lakecast.forecast.champion import KEYS, _group_metric, score_models, with_rmsse_scale

ALL = "all"


def wape_cum3(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model: WAPE of the 3-month cumulative forecast (lags 0-2 of each DFU and origin, complete only)."""
    d = rows.loc[rows["lag"] <= 2]
    g = d.groupby(["model_id", "unique_id", "fcst_origin"], sort=False).agg(
        f=("fcst_qty", "sum"), a=("y", "sum"), n=("lag", "nunique"))
    g = g.loc[g["n"] == 3]
    g["ae"] = (g["f"] - g["a"]).abs()
    out = g.groupby("model_id").agg(ae=("ae", "sum"), a=("a", "sum"))
    return (out["ae"] / out["a"].where(out["a"] > 0)).rename("wape_cum3").reset_index()


def _coverage(rows: pd.DataFrame) -> pd.DataFrame:
    if "fcst_lo_80" not in rows.columns:
        return pd.DataFrame(columns=["model_id", "coverage_80", "coverage_95"])
    d = rows.loc[rows["fcst_lo_80"].notna()]
    c80 = (d["y"] >= d["fcst_lo_80"] - 1e-9) & (d["y"] <= d["fcst_hi_80"] + 1e-9)
    c95 = (d["y"] >= d["fcst_lo_95"] - 1e-9) & (d["y"] <= d["fcst_hi_95"] + 1e-9)
    return pd.DataFrame({"model_id": d["model_id"], "coverage_80": c80, "coverage_95": c95}).groupby(
        "model_id").mean().reset_index()


def breakdown(rows: pd.DataFrame, holdout, segments: pd.DataFrame, baseline: str = "seasonal_naive",
              history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model x lag x segment (and segment 'all'): the columns of ``gold.model_scores_detail``.

    ``segments``: unique_id, segment (e.g. the cluster label at the first holdout origin). ``history``
    (unique_id, ds, y) gives each DFU's RMSSE scale, as the competition takes it."""
    seg = segments.drop_duplicates("unique_id").set_index("unique_id")["segment"]
    decision = rows.loc[rows["timeframe"].isin(holdout), "fcst_origin"].min()  # the scale is known then
    d = with_rmsse_scale(rows, decision, history)
    d = d.loc[d["timeframe"].isin(holdout) & d["y"].notna() & d["fcst_qty"].notna()].copy()
    d["segment"] = d["unique_id"].map(seg).fillna("unassigned")
    parts = []
    for name, sub in [(ALL, d), *sorted(d.groupby("segment"), key=lambda kv: kv[0])]:
        cum = wape_cum3(sub)
        for lag in sorted(sub["lag"].unique()):
            at = sub.loc[sub["lag"] == lag]
            sc = score_models(at, int(lag), holdout, baseline=baseline)
            sr = _group_metric(at, ["model_id"], "srmse")[["model_id", "score"]].rename(columns={"score": "srmse"})
            rm = _group_metric(at, ["model_id"], "rmsse")[["model_id", "score"]].rename(columns={"score": "rmsse"})
            sc = sc.merge(sr, on="model_id", how="left").merge(rm, on="model_id", how="left")
            sc = sc.merge(cum, on="model_id", how="left")
            sc = sc.merge(_coverage(at), on="model_id", how="left")
            parts.append(sc.assign(lag=int(lag), segment=name).dropna(axis=1, how="all"))
    out = pd.concat(parts, ignore_index=True)  # all-NA columns dropped first (pandas' concat dtype rule)
    for c in ("accuracy_pct", "wape", "bias", "srmse", "rmsse", "fva_vs_baseline", "fva_vs_external", "gap_to_ceiling",
              "coverage_80", "coverage_95", "wape_cum3"):
        if c not in out.columns:
            out[c] = np.nan
    return out


__all__ = ["breakdown", "wape_cum3", "ALL", "KEYS"]
