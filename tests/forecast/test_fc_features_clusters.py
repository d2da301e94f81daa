import numpy as np
import pandas as pd
import pytest
from fc_synth import make_history

from lakecast.forecast.clustering import cluster_dfus, cluster_features
from lakecast.forecast.features import abc_classes, dfu_features, xyz_classes

ORIGIN = pd.Timestamp("2023-12-01")


def test_abc_by_cumulative_share():
    ids = np.array(["a", "b", "c", "d", "e"])
    vol = np.array([70.0, 15.0, 10.0, 5.0, 0.0])
    # before-shares: a 0 -> A, b .70 -> A, c .85 -> B, d .95 -> C, zero volume -> C
    assert list(abc_classes(vol, ids)) == ["A", "A", "B", "C", "C"]
    # the served rule (lakecast.dfu_classes): strict <, so a CV of exactly 0.5 is Y and of exactly 1.0 is Z
    assert list(xyz_classes(np.array([0.2, 0.5, 0.7, 1.0, 1.5, np.nan]))) == ["X", "Y", "Y", "Z", "Z", "Z"]


def test_features_on_known_shapes(history):
    f = dfu_features(history, ORIGIN).set_index("unique_id")
    grp = f.index.str[:3]
    assert f.loc[grp == "sea", "seasonality"].min() > 0.8
    assert f.loc[grp == "tre", "seasonality"].max() < 0.5
    assert f.loc[grp == "tre", "trend"].min() > 0.015
    assert (f.loc[grp == "int", "adi"] > 1.32).all()
    assert set(f.loc[grp == "int", "sb_class"]) <= {"intermittent", "lumpy"}
    assert (f.loc[grp == "new", "lifecycle"] == "new").all()
    assert (f.loc[grp == "new", "months_since_first_sale"] == 7).all()
    assert (f.loc[grp == "sea", "abc_class"] == "A").all()
    assert (f.loc[grp == "int", "abc_class"] == "C").all()
    # volume = mean of the last 12 months
    h = history[(history.unique_id == "sea_00") & (history.ds > ORIGIN - pd.DateOffset(months=12))]
    assert f.loc["sea_00", "volume"] == pytest.approx(h["y"].mean())


def test_lifecycle_dying_and_gap_months():
    ds = pd.date_range("2021-01-01", periods=24, freq="MS")
    y = np.r_[np.full(16, 10.0), np.zeros(8)]
    h = pd.DataFrame({"unique_id": "d", "ds": ds, "y": y})
    h = h[h.y > 0]  # missing rows after the last sale are treated as zero sales
    f = dfu_features(h, "2022-12-01").iloc[0]
    assert f["months_since_last_sale"] == 8
    assert f["lifecycle"] == "dying"
    assert f["volume"] == pytest.approx(40 / 12)


def test_clustering_recovers_groups_deterministically():
    h = make_history(n_per_group=12)
    r1 = cluster_dfus(h, ORIGIN, seed=0)
    r2 = cluster_dfus(h, ORIGIN, seed=0)
    trend = cluster_features(dfu_features(h, ORIGIN), split_trend=True)
    tlab = trend.assignments.assign(g=lambda d: d.unique_id.str[:3]).groupby("g")["cluster_label"].first()
    assert tlab["tre"].startswith("trending up")
    pd.testing.assert_frame_equal(r1.assignments, r2.assignments)
    pd.testing.assert_frame_equal(r1.profiles, r2.profiles)
    a = r1.assignments.assign(g=lambda d: d.unique_id.str[:3])
    # every synthetic group lands in exactly one cluster, different groups in different clusters
    per_group = a.groupby("g")["cluster_id"].nunique()
    assert (per_group == 1).all()
    assert a.groupby("g")["cluster_id"].first().nunique() == 4
    label = a.groupby("g")["cluster_label"].first()
    assert label["sea"].startswith("seasonal") and label["sea"].endswith("high-volume")
    assert label["int"] == "intermittent/lumpy"
    from lakecast.demand_segments import is_intermittent_label

    assert is_intermittent_label(label["int"]) and not is_intermittent_label(label["sea"])
    assert label["tre"].startswith("stable")  # trend splits only with split_trend=True
    assert label["new"] == "new/short history"
    # ids ordered by volume: the seasonal high-volume group is cluster 0
    assert a.loc[a.g == "sea", "cluster_id"].iloc[0] == 0
    assert r1.k == 4 and r1.silhouette is None  # rule-based segments: no silhouette
    assert list(r1.profiles["cluster_id"]) == list(range(r1.k))


def test_kmeans_recovers_groups_with_sampled_silhouette():
    h = make_history(n_per_group=12)
    r = cluster_dfus(h, ORIGIN, seed=0, method="kmeans")
    a = r.assignments.assign(g=lambda d: d.unique_id.str[:3])
    assert (a.groupby("g")["cluster_id"].nunique() == 1).all()
    assert r.k == 4 and r.silhouette is not None


def test_segments_merge_small_ones_and_reject_unknown_method():
    h = make_history(n_per_group=12)
    r = cluster_dfus(h, ORIGIN, seed=0)
    feats = dfu_features(h, ORIGIN)
    merged = cluster_features(feats, min_size=13)  # every segment of 12 is too small: all merge into one
    assert merged.k == 1 and r.k == 4
    with pytest.raises(ValueError, match="unknown clustering method"):
        cluster_features(feats, method="dbscan")


def test_clustering_small_inputs():
    h = make_history(n_per_group=1)
    feats = dfu_features(h, ORIGIN).iloc[:3]
    r = cluster_features(feats)
    assert r.k == 1 and set(r.assignments["cluster_id"]) == {0}
    with pytest.raises(ValueError):
        cluster_features(feats.iloc[:0])
