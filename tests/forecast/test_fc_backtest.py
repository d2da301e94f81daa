from typing import Any

import numpy as np
import pandas as pd
import pytest
from fc_synth import FAST_ML, make_history, make_statics

from lakecast import lag as lagdef
from lakecast.forecast.backtest import BACKTEST_COLUMNS, backtest_frame, forecast_at, forecast_frame, make_origins
from lakecast.forecast.clustering import cluster_assignments
from lakecast.forecast.features import dfu_features
from lakecast.forecast.models import DEFAULT_MODELS, MODELS

ORIGIN = pd.Timestamp("2022-12-01")  # month 36 of 48
FAMILIES = {
    "stat": ["seasonal_naive", "auto_ets", "theta", "optimized_theta", "dynamic_optimized_theta",
             "croston_optimized", "tsb", "adida"],
    "lgbm": ["lgbm_global", "lgbm_per_cluster", "lgbm_transfer"],
    "catboost": ["catboost_global", "catboost_per_cluster", "catboost_transfer"],
    "xgb": ["xgb_global", "xgb_per_cluster", "xgb_transfer"],
}


def _alter_after(history: pd.DataFrame, statics: pd.DataFrame, origin: pd.Timestamp):
    """Change every value after the origin, and add static versions that start after it."""
    rng = np.random.default_rng(123)
    h = history.copy()
    after = h["ds"] > origin
    h.loc[after, "y"] = h.loc[after, "y"] * rng.uniform(0, 5, after.sum()) + 1000
    h.loc[after, "price"] = rng.uniform(50, 60, after.sum())
    h.loc[after, "promo"] = 1.0
    # a brand-new DFU that only appears after the origin
    new = pd.DataFrame({"unique_id": "zzz_late", "ds": pd.date_range(origin + pd.DateOffset(months=1),
                        periods=6, freq="MS"), "y": 500.0, "price": 1.0, "promo": 0.0})
    h = pd.concat([h, new], ignore_index=True)
    later = statics.copy()
    later["valid_from"] = origin + pd.DateOffset(days=40)
    later["category"] = "changed_later"
    later["brand"] = "other_brand"
    s = statics.copy()
    s["valid_to"] = later["valid_from"]  # SCD2: old version closes when the new one starts
    return h, pd.concat([s, later], ignore_index=True)


def test_make_origins_labels_and_lags():
    o = make_origins("2023-12-01", n_origins=10, horizon=5)
    assert list(o["timeframe"]) == list("ABCDEFGHIJ")
    assert o["fcst_origin"].is_monotonic_increasing
    assert o["fcst_origin"].iloc[-1] == pd.Timestamp("2023-07-01")  # last targets observed
    assert (o["last_target"] <= pd.Timestamp("2023-12-01")).all()
    with pytest.raises(ValueError):
        make_origins("2023-12-01", horizon=4)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_no_leakage_after_origin(history, statics, family):
    models = FAMILIES[family]
    altered_h, altered_s = _alter_after(history, statics, ORIGIN)
    kw = dict(origins={"A": ORIGIN}, models=models, seed=3, ml_params=FAST_ML, horizon=5)
    base = backtest_frame(history, statics=statics, **kw)
    alt = backtest_frame(altered_h, statics=altered_s, **kw)
    cols = [c for c in BACKTEST_COLUMNS if c != "y"]
    pd.testing.assert_frame_equal(base[cols], alt[cols])
    assert "zzz_late" not in set(alt["unique_id"])
    assert not base["fcst_qty"].isna().any()
    # and the actuals really did change, so the test would notice a leak
    assert not np.allclose(base["y"].to_numpy(), alt["y"].to_numpy())


def test_features_and_clusters_ignore_the_future(history, statics):
    altered_h, _ = _alter_after(history, statics, ORIGIN)
    pd.testing.assert_frame_equal(dfu_features(history, ORIGIN), dfu_features(altered_h, ORIGIN))
    pd.testing.assert_frame_equal(cluster_assignments(history, ORIGIN),
                                  cluster_assignments(altered_h, ORIGIN))


def test_static_changes_before_origin_do_reach_models(history, statics):
    """Guard for the leakage test: statics valid at the origin are used by the ML models."""
    kw: dict[str, Any] = dict(origins={"A": ORIGIN}, models=["lgbm_global"], seed=3, horizon=5,
              ml_params={**FAST_ML, "rounds": 40, "min_child": 2})
    s2 = statics.copy()
    s2["category"] = np.where(np.arange(len(s2)) < 10, "x", "y")
    a = backtest_frame(history, statics=statics, **kw)
    b = backtest_frame(history, statics=s2, **kw)
    assert not np.allclose(a["fcst_qty"], b["fcst_qty"])


def test_lag_definition_and_lags_are_not_copies(history):
    o = make_origins("2023-12-01", n_origins=2, horizon=6)
    f = backtest_frame(history, o, models=["seasonal_naive", "auto_ets", "lgbm_global"], ml_params=FAST_ML)
    for r in f.drop_duplicates(["fcst_origin", "lag"]).itertuples():
        assert r.target_month.date() == lagdef.target_month(r.fcst_origin.date(), r.lag)
        assert lagdef.lag_of(r.fcst_origin.date(), r.target_month.date()) == r.lag
    assert sorted(f["lag"].unique()) == list(range(6))
    assert f["y"].notna().all()  # every target month is observed
    # ETS may legitimately pick a flat (level-only) model for some series
    min_share = {"seasonal_naive": 0.5, "lgbm_global": 0.5, "auto_ets": 0.25}
    for mid, d in f.groupby("model_id"):
        spread = d.groupby(["unique_id", "fcst_origin"])["fcst_qty"].agg(lambda x: x.max() - x.min())
        assert (spread > 1e-9).mean() > min_share[mid], mid
    # a lag-k row's forecast differs from the lag-0 forecast of the same target made k months later
    sn = f[f.model_id == "lgbm_global"].set_index(["unique_id", "target_month", "lag"])["fcst_qty"]
    tm = pd.Timestamp(lagdef.target_month(o["fcst_origin"].iloc[1].date(), 1))
    assert not np.allclose(sn.xs((tm, 1), level=(1, 2)), sn.xs((tm, 2), level=(1, 2)))


def test_determinism_two_runs_identical(history, statics):
    models = ["theta", "lgbm_global", "lgbm_transfer", "catboost_transfer", "xgb_per_cluster"]
    kw = dict(origins={"A": ORIGIN}, models=models, statics=statics, seed=11, ml_params=FAST_ML)
    pd.testing.assert_frame_equal(backtest_frame(history, **kw), backtest_frame(history, **kw))


def test_subset_call_with_broadcast_clusters(history):
    """Spark-style: clusters computed once over all DFUs, then a subset (one cluster) is forecast."""
    clusters = cluster_assignments(history, ORIGIN)
    full = backtest_frame(history, {"A": ORIGIN}, models=["seasonal_naive", "theta"], clusters=clusters)
    one = clusters.loc[clusters["cluster_id"] == clusters["cluster_id"].max(), "unique_id"]
    sub = backtest_frame(history[history.unique_id.isin(one)], {"A": ORIGIN},
                         models=["seasonal_naive", "theta"],
                         clusters={ORIGIN: clusters})
    ref = full[full.unique_id.isin(one)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sub, ref)
    # the subset on its own would cluster differently (one group): ids come from the broadcast
    assert set(sub["cluster_id"]) == {clusters["cluster_id"].max()}
    with pytest.raises(ValueError, match="no cluster assignment"):
        backtest_frame(history, {"A": ORIGIN}, models=["seasonal_naive"], clusters=clusters.iloc[:3])


def test_forecast_frame_forward(history):
    f = forecast_frame(history, horizon=5, model_ids=["seasonal_naive", "lgbm_global"], ml_params=FAST_ML)
    assert (f["fcst_origin"] == history["ds"].max()).all()
    assert f["target_month"].min() == pd.Timestamp("2024-01-01")
    assert set(f["lag"]) == set(range(5))
    assert len(f) == history["unique_id"].nunique() * 5 * 2
    assert (f["fcst_qty"] >= 0).all()


def test_registry_ids():
    expected = {"seasonal_naive", "auto_ets", "auto_arima", "auto_ces", "theta", "optimized_theta",
                "dynamic_optimized_theta", "croston_optimized", "tsb", "adida"}
    for lib in ("lgbm", "catboost", "xgb"):
        expected |= {f"{lib}_global", f"{lib}_per_cluster", f"{lib}_transfer"}
    expected |= {"lgbm_tweedie_global", "xgb_tweedie_global", "legacy_asis", "legacy_debiased", "legacy_vintages"}
    assert set(MODELS) == expected
    assert set(DEFAULT_MODELS) <= set(MODELS)
    with pytest.raises(ValueError, match="unknown model"):
        backtest_frame(make_history(1), {"A": ORIGIN}, models=["nope"])


def test_unknown_ml_param_rejected(history):
    with pytest.raises(ValueError, match="unknown ml_params"):
        backtest_frame(history, {"A": ORIGIN}, models=["lgbm_global"], ml_params={"n_trees": 3})


def test_statics_asof_picks_version_valid_at_origin(history):
    from lakecast.forecast.panel import statics_asof

    s = make_statics(history).iloc[:1]
    v2 = s.assign(valid_from=pd.Timestamp("2022-12-15"), category="new")
    s1 = s.assign(valid_to=pd.Timestamp("2022-12-15"))
    both = pd.concat([s1, v2])
    nov, dec = statics_asof(both, "2022-11-01"), statics_asof(both, "2022-12-01")
    assert nov is not None and dec is not None  # a frame in, a frame out
    assert nov["category"].item() == "cat0"
    # valid on the origin month's last day
    assert dec["category"].item() == "new"
    import datetime as dt
    open_end = statics_asof(s.assign(valid_to=dt.date(9999, 12, 31)), "2022-12-01")
    assert open_end is not None and len(open_end) == 1


def test_static_codes_stable_across_subsets(history, statics):
    from lakecast.forecast.panel import static_codes, statics_asof

    s = statics_asof(statics, ORIGIN)
    ids = np.array(sorted(history["unique_id"].unique()), dtype=object)
    full, names, is_cat = static_codes(s, ids)
    sub, _, _ = static_codes(s, ids[5:8])
    np.testing.assert_array_equal(full[5:8], sub)
    assert names == ["static_category", "static_brand"] and is_cat == [True, True]


def test_model_ids_may_come_from_a_one_shot_iterator(history):
    """A generator of model ids forecasts like a list (it used to be consumed by the type check: no rows)."""
    horizon = 3
    expected = history.loc[history["ds"] <= ORIGIN].set_index(["unique_id", "ds"])["y"]
    ids = sorted(history.loc[history["ds"] <= ORIGIN, "unique_id"].unique())
    f = forecast_at(history, ORIGIN, horizon, (m for m in ["seasonal_naive"]))
    b = backtest_frame(history, {"A": ORIGIN}, models=iter(["seasonal_naive"]), horizon=horizon)
    for out in (f, b):
        assert len(out) == len(ids) * horizon
        for k in range(horizon):
            target = pd.Timestamp(lagdef.target_month(ORIGIN.date(), k))
            got = out.loc[out["lag"] == k].set_index("unique_id")["fcst_qty"].sort_index()
            # seasonal naive: the actual of the same month one year before the target
            want = expected.xs(target - pd.DateOffset(years=1), level="ds").reindex(ids)
            np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
