"""Segmentation of DFUs at an origin: demand-pattern segments (default) or k-means.

Default ``method="segments"``: every DFU gets the segment its own features put it in, by stated rules
(so a planner can say why a DFU is where it is, and the segments mean the same at every origin):

* lifecycle first: ``new/short history`` (first sale < 12 months before the origin), ``dying/inactive``
  (no sale for >= 6 months);
* else the Syntetos-Boylan demand class from ADI / CV^2 (cut-offs in :mod:`lakecast.forecast.features`):
  smooth, erratic, intermittent, lumpy;
* smooth and erratic DFUs are split by pattern: ``seasonal`` (seasonal strength >= ``SEASONAL_CUT``), else
  ``stable``; with ``split_trend=True`` also ``trending up/down`` (|trend| >= ``TREND_CUT`` per month). Trend
  is off by default: it drifts between origins and the models see the trend anyway.
* Segments smaller than ``min_size`` (default max(5, 1% of DFUs)) are merged: the pattern is dropped first
  (-> stable), then the class goes to its sibling (erratic <-> smooth, lumpy <-> intermittent), then into the
  largest segment. No pairwise distances: linear in the number of DFUs.

``method="kmeans"``: the k-means clustering below, with the silhouette computed on a bounded sample.

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

from lakecast.forecast.features import ADI_CUT, panel_features, sb_classes
from lakecast.forecast.panel import build_panel, month_start

CLUSTER_FEATURES = ("log_volume", "cv", "seasonality", "trend", "log_adi", "age", "recency")
SILHOUETTE_TOL = 0.01
SILHOUETTE_SAMPLE = 2000  # silhouette on at most this many DFUs (it is quadratic)
K_RANGE = range(2, 9)
SEASONAL_CUT = 0.25
ERRATIC_CV = 0.5
SEASON_RATIO_CUT = 1.3  # peak / trough of the month-of-year index
TREND_CUT = 0.015
NEW_MONTHS, DYING_MONTHS = 12, 6
DYING_ADI_FACTOR = 3.0
METHODS = ("segments", "kmeans")


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
    if prof["months_since_first_sale"] < NEW_MONTHS:
        return "new/short history"
    if prof["months_since_last_sale"] >= DYING_MONTHS:
        return "dying/inactive"
    if prof["adi"] >= ADI_CUT:
        pattern = "intermittent"
    elif prof["seasonality"] >= SEASONAL_CUT:
        pattern = "seasonal"
    elif prof["trend"] >= TREND_CUT:
        pattern = "trending up"
    elif prof["trend"] <= -TREND_CUT:
        pattern = "trending down"
    elif prof["cv"] > 1.0:
        pattern = "erratic"
    else:
        pattern = "stable"
    tier = "high" if prof["volume"] >= vol_hi else ("low" if prof["volume"] <= vol_lo else "mid")
    return f"{pattern} {tier}-volume"


def cluster_features(feats: pd.DataFrame, seed: int = 0, k: int | None = None, method: str = "segments",
                     min_size: int | None = None, split_trend: bool = False) -> ClusterResult:
    """Segment / cluster a feature frame (one row per DFU) -- everything computed from these rows only."""
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; known: {METHODS}")
    if method == "segments" and k is None:
        return _segments(feats, min_size, split_trend)
    with threadpool_limits(1):  # single-threaded BLAS/OpenMP: deterministic and no oversubscription
        return _cluster_features(feats, seed, k)


def segment_of(feats: pd.DataFrame, split_trend: bool = False) -> pd.DataFrame:
    """Per DFU: ``segment_class`` (new, dying, smooth, erratic, intermittent, lumpy) and ``segment_pattern``
    (seasonal, trending up, trending down, stable; '' for the others), by the rules in the module docstring."""
    cv2 = feats["cv2_adjusted"] if "cv2_adjusted" in feats.columns else feats["cv2"]
    cls = pd.Series(sb_classes(feats["adi"].to_numpy(), cv2.to_numpy()), index=feats.index)
    # smooth vs erratic on the deseasonalised size CV: erratic above ERRATIC_CV (the X/Y vs Z boundary of planners'
    # XYZ practice) rather than Syntetos-Boylan's CV^2 0.49, which is about choosing a Croston-type method
    smooth_demand = cls.isin(["smooth", "erratic"])
    cls = cls.where(~smooth_demand, np.where(cv2 >= ERRATIC_CV**2, "erratic", "smooth"))
    # intermittent and lumpy get the same methods; with few non-zero months their CV^2 cannot be told apart
    cls = cls.replace({"lumpy": "intermittent"})
    # dying: a gap far longer than the DFU's own demand interval (a lumpy DFU often rests 6 months by chance)
    adi = feats["adi"].replace(np.inf, np.nan).fillna(DYING_MONTHS).clip(upper=12)
    cls = cls.where(feats["months_since_last_sale"] < np.maximum(DYING_MONTHS, DYING_ADI_FACTOR * adi), "dying")
    cls = cls.where(feats["months_since_first_sale"] >= NEW_MONTHS, "new")
    sea = feats["seasonality"].fillna(0.0).to_numpy()
    if "season_ratio" in feats.columns:  # strength alone can be noise: the swing must be material too
        sea = np.where(feats["season_ratio"].to_numpy() >= SEASON_RATIO_CUT, sea, 0.0)
    tr = feats["trend"].fillna(0.0).to_numpy()
    trend = np.where(tr >= TREND_CUT, "trending up", np.where(tr <= -TREND_CUT, "trending down", "stable"))
    pattern = np.where(sea >= SEASONAL_CUT, "seasonal", trend if split_trend else "stable")
    pattern = np.where(cls.isin(["smooth", "erratic"]), pattern, "")
    return pd.DataFrame({"segment_class": cls.to_numpy(), "segment_pattern": pattern}, index=feats.index)


SIBLING = {"smooth": "erratic", "erratic": "smooth"}


def _segment_label(cls: str, pattern: str) -> str:
    if cls == "new":
        return "new/short history"
    if cls == "dying":
        return "dying/inactive"
    if cls == "intermittent":
        return "intermittent/lumpy"
    return f"{pattern} {cls}" if pattern else cls


def _segments(feats: pd.DataFrame, min_size: int | None, split_trend: bool = False) -> ClusterResult:
    feats = feats.sort_values("unique_id").reset_index(drop=True)
    n = len(feats)
    if n == 0:
        raise ValueError("cannot cluster zero DFUs")
    seg = segment_of(feats, split_trend)
    key = pd.Series(list(zip(seg["segment_class"], seg["segment_pattern"], strict=True)))
    min_size = max(5, int(0.01 * n)) if min_size is None else min_size
    if n < 4:
        key = pd.Series([key.iloc[0]] * n)
    gone: set = set()
    while True:
        sizes = key.value_counts()
        small = [k for k in sizes.index if sizes[k] < min_size]
        if not small or len(sizes) == 1:
            break
        victim = min(small, key=lambda k: (sizes[k], k))
        cls, pattern = victim
        if pattern and pattern != "stable":
            target = (cls, "stable")
        elif cls in SIBLING:
            target = (SIBLING[cls], pattern)
        else:
            target = victim
        if target == victim or target in gone:
            target = max((k for k in sizes.index if k != victim), key=lambda k: (sizes[k], k))
        gone.add(victim)
        key = key.map(lambda k, v=victim, t=target: t if k == v else k)
    labels = key.map(lambda k: _segment_label(*k))
    order = []
    for lab in sorted(labels.unique()):
        members = feats.loc[labels == lab]
        order.append((-members["volume"].mean(), -len(members), lab))
    remap = {lab: i for i, (*_, lab) in enumerate(sorted(order))}
    cid = labels.map(remap).to_numpy(dtype=int)
    return _result(feats, cid, labels.to_numpy(), None, {})


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
                scores[kk] = float(silhouette_score(x, km.labels_, sample_size=min(n, SILHOUETTE_SAMPLE),
                                                    random_state=seed))
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
    return _result(feats, cid, None, scores.get(k) if scores else None, scores)


PROFILE_COLUMNS = ["volume", "cv", "seasonality", "trend", "adi", "cv2", "months_since_first_sale",
                   "months_since_last_sale"]


def _result(feats: pd.DataFrame, cid: np.ndarray, base_labels, sil, scores, volume_tier: bool = True) -> ClusterResult:
    """Profiles (member medians) and readable labels for cluster ids ``cid`` (0..k-1) of ``feats``' rows.
    ``base_labels``: a pattern label per row (segments) or None (labels from member medians, k-means)."""
    n = len(feats)
    vol_lo, vol_hi = np.percentile(feats["volume"], [25, 75])
    rows = []
    for c in range(cid.max() + 1):
        members = feats.loc[cid == c, PROFILE_COLUMNS].replace(np.inf, np.nan)
        med = members.median()
        if base_labels is None:
            label = label_for(med, vol_lo, vol_hi)
        else:
            base = str(base_labels[np.flatnonzero(cid == c)[0]])
            tier = "high" if med["volume"] >= vol_hi else ("low" if med["volume"] <= vol_lo else "mid")
            label = base if base in ("new/short history", "dying/inactive", "intermittent/lumpy") else \
                f"{base} {tier}-volume"
        rows.append({"cluster_id": c, "n_dfus": int(len(members)), "share": len(members) / n,
                     **med.to_dict(), "cluster_label": label})
    profiles = pd.DataFrame(rows)
    seen: dict[str, int] = {}
    labels = []
    for lab in profiles["cluster_label"]:
        seen[lab] = seen.get(lab, 0) + 1
        labels.append(lab if seen[lab] == 1 else f"{lab} #{seen[lab]}")
    profiles["cluster_label"] = labels
    profiles = profiles[["cluster_id", "cluster_label", "n_dfus", "share", *PROFILE_COLUMNS]]
    assignments = pd.DataFrame({"unique_id": feats["unique_id"].to_numpy(), "cluster_id": cid})
    assignments["cluster_label"] = profiles.set_index("cluster_id").loc[cid, "cluster_label"].to_numpy()
    return ClusterResult(assignments, profiles, int(cid.max() + 1), sil, scores)


def cluster_dfus(history: pd.DataFrame, origin, seed: int = 0, k: int | None = None,
                 season_length: int = 12, method: str = "segments") -> ClusterResult:
    """Features + segmentation of all DFUs of ``history`` at ``origin`` (rows with ds <= origin only)."""
    panel = build_panel(history, origin)
    res = cluster_features(panel_features(panel, season_length), seed=seed, k=k, method=method)
    res.assignments.insert(1, "fcst_origin", month_start(origin))
    res.profiles.insert(0, "fcst_origin", month_start(origin))
    return res


def cluster_assignments(history: pd.DataFrame, origin, seed: int = 0, k: int | None = None,
                        season_length: int = 12, method: str = "segments") -> pd.DataFrame:
    """``unique_id, fcst_origin, cluster_id, cluster_label`` for every DFU at ``origin``.

    Meant to run once per origin over ALL DFUs (e.g. on the Spark driver) and be broadcast to
    :func:`lakecast.forecast.backtest.backtest_frame` calls on subsets.
    """
    return cluster_dfus(history, origin, seed=seed, k=k, season_length=season_length, method=method).assignments
