"""K-means segmentation of DFUs at an origin.

* Inputs: :func:`lakecast.forecast.features.panel_features` computed at the origin (data <= origin only).
* Clustering space (``CLUSTER_FEATURES``): log1p(volume), cv (capped at 3), seasonality, trend (clipped to
  +-0.1/month), log(adi) (capped at log 12), months since first sale (capped at 36), months since last sale
  (capped at 6). Seasonality and trend of intermittent DFUs (ADI >= 1.32) are set to 0 (not estimable).
  A ``StandardScaler`` is fitted on these origin rows only.
* k: silhouette score for k in 2..8 (k < number of DFUs); the chosen k is the SMALLEST k whose silhouette is
  within ``SILHOUETTE_TOL`` (0.01) of the best (parsimony; exact ties therefore go to the smaller k).
  Fewer than 4 DFUs -> one cluster.
* KMeans(n_init=10, random_state=seed) -> deterministic. Cluster ids are renumbered by descending mean
  volume of their members (id 0 = highest-volume cluster), ties by size then centroid.
* Labels come from each cluster's member medians in original units (see :func:`label_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from lakecast.forecast.features import ADI_CUT, panel_features
from lakecast.forecast.panel import build_panel, month_start

CLUSTER_FEATURES = ("log_volume", "cv", "seasonality", "trend", "log_adi", "age", "recency")
SILHOUETTE_TOL = 0.01
K_RANGE = range(2, 9)


@dataclass
class ClusterResult:
    assignments: pd.DataFrame  # unique_id, cluster_id, cluster_label
    profiles: pd.DataFrame  # cluster_id, cluster_label, n_dfus, share, medians of features, centroid
    k: int
    silhouette: float | None
    scores: dict[int, float]


def _space(feats: pd.DataFrame) -> pd.DataFrame:
    # trend and seasonality of intermittent series (ADI >= 1.32) are noise, not signal: set to 0
    smooth = feats["adi"] < ADI_CUT
    return pd.DataFrame({
        "log_volume": np.log1p(feats["volume"].clip(lower=0)),
        "cv": feats["cv"].fillna(3.0).clip(0, 3),
        "seasonality": feats["seasonality"].fillna(0.0).where(smooth, 0.0),
        "trend": feats["trend"].fillna(0.0).clip(-0.1, 0.1).where(smooth, 0.0),
        "log_adi": np.log(feats["adi"].replace(np.inf, 12.0).clip(1, 12)),
        "age": feats["months_since_first_sale"].clip(-1, 36),
        "recency": feats["months_since_last_sale"].clip(0, 6),
    }, index=feats.index)


def label_for(prof: pd.Series, vol_lo: float, vol_hi: float) -> str:
    """Human-readable label from a cluster's member medians (original units).

    Pattern (first match): ``new/short history`` (median age < 12 months), ``dying/inactive`` (median
    months since last sale >= 6), ``intermittent`` (median ADI >= 1.32), ``seasonal`` (seasonality >= 0.4),
    ``trending up`` / ``trending down`` (|trend| >= 1.5%/month), ``erratic`` (cv > 1), else ``stable``.
    Volume tier: high if the median volume >= the 75th percentile of all DFUs, low if <= the 25th, else mid.
    """
    if prof["months_since_first_sale"] < 12:
        return "new/short history"
    if prof["months_since_last_sale"] >= 6:
        return "dying/inactive"
    if prof["adi"] >= ADI_CUT:
        pattern = "intermittent"
    elif prof["seasonality"] >= 0.4:
        pattern = "seasonal"
    elif prof["trend"] >= 0.015:
        pattern = "trending up"
    elif prof["trend"] <= -0.015:
        pattern = "trending down"
    elif prof["cv"] > 1.0:
        pattern = "erratic"
    else:
        pattern = "stable"
    tier = "high" if prof["volume"] >= vol_hi else ("low" if prof["volume"] <= vol_lo else "mid")
    return f"{pattern} {tier}-volume"


def cluster_features(feats: pd.DataFrame, seed: int = 0, k: int | None = None) -> ClusterResult:
    """Cluster a feature frame (one row per DFU) -- everything fitted on these rows only."""
    with threadpool_limits(1):  # single-threaded BLAS/OpenMP: deterministic and no oversubscription
        return _cluster_features(feats, seed, k)


def _cluster_features(feats: pd.DataFrame, seed: int, k: int | None) -> ClusterResult:
    feats = feats.sort_values("unique_id").reset_index(drop=True)
    n = len(feats)
    if n == 0:
        raise ValueError("cannot cluster zero DFUs")
    x = StandardScaler().fit_transform(_space(feats).to_numpy(dtype=float))
    x = np.nan_to_num(x)
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    n_distinct = len(np.unique(x.round(12), axis=0))
    if k is None:
        if n < 4 or n_distinct < 3:
            k = 1
        else:
            for kk in K_RANGE:
                if kk >= min(n, n_distinct):
                    break
                km = KMeans(n_clusters=kk, n_init=10, random_state=seed).fit(x)
                if len(np.unique(km.labels_)) < 2:
                    continue
                scores[kk] = float(silhouette_score(x, km.labels_))
                models[kk] = km
            if scores:
                best = max(scores.values())
                k = min(kk for kk, s in scores.items() if s >= best - SILHOUETTE_TOL)
            else:
                k = 1
    k = max(1, min(k, n))
    if k == 1:
        raw = np.zeros(n, dtype=int)
    elif k in models:
        raw = models[k].labels_
    else:
        raw = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
    # deterministic renumbering: by mean volume desc, then size desc, then first member id
    order = []
    for c in np.unique(raw):
        members = feats.loc[raw == c]
        order.append((-members["volume"].mean(), -len(members), members["unique_id"].iloc[0], c))
    remap = {c: i for i, (*_, c) in enumerate(sorted(order))}
    cid = np.array([remap[c] for c in raw], dtype=int)
    vol_lo, vol_hi = np.percentile(feats["volume"], [25, 75])
    prof_cols = ["volume", "cv", "seasonality", "trend", "adi", "cv2",
                 "months_since_first_sale", "months_since_last_sale"]
    rows = []
    for c in range(cid.max() + 1):
        members = feats.loc[cid == c, prof_cols].replace(np.inf, np.nan)
        med = members.median()
        rows.append({"cluster_id": c, "n_dfus": int(len(members)), "share": len(members) / n,
                     **med.to_dict(), "cluster_label": label_for(med, vol_lo, vol_hi)})
    profiles = pd.DataFrame(rows)
    seen: dict[str, int] = {}
    labels = []
    for lab in profiles["cluster_label"]:
        seen[lab] = seen.get(lab, 0) + 1
        labels.append(lab if seen[lab] == 1 else f"{lab} #{seen[lab]}")
    profiles["cluster_label"] = labels
    profiles = profiles[["cluster_id", "cluster_label", "n_dfus", "share", *prof_cols]]
    assignments = pd.DataFrame({"unique_id": feats["unique_id"].to_numpy(), "cluster_id": cid})
    assignments["cluster_label"] = profiles.set_index("cluster_id").loc[cid, "cluster_label"].to_numpy()
    sil = scores.get(k) if scores else None
    return ClusterResult(assignments, profiles, k, sil, scores)


def cluster_dfus(history: pd.DataFrame, origin, seed: int = 0, k: int | None = None,
                 season_length: int = 12) -> ClusterResult:
    """Features + clustering of all DFUs of ``history`` at ``origin`` (rows with ds <= origin only)."""
    panel = build_panel(history, origin)
    res = cluster_features(panel_features(panel, season_length), seed=seed, k=k)
    res.assignments.insert(1, "fcst_origin", month_start(origin))
    res.profiles.insert(0, "fcst_origin", month_start(origin))
    return res


def cluster_assignments(history: pd.DataFrame, origin, seed: int = 0, k: int | None = None,
                        season_length: int = 12) -> pd.DataFrame:
    """``unique_id, fcst_origin, cluster_id, cluster_label`` for every DFU at ``origin``.

    Meant to run once per origin over ALL DFUs (e.g. on the Spark driver) and be broadcast to
    :func:`lakecast.forecast.backtest.backtest_frame` calls on subsets.
    """
    return cluster_dfus(history, origin, seed=seed, k=k, season_length=season_length).assignments
