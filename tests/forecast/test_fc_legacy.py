"""The legacy forecast as a model input: leak-free, debiased as documented, non-finite output is an error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fc_synth import FAST_ML, make_history

from lakecast import lag as lagdef
from lakecast.forecast import legacy as L
from lakecast.forecast.backtest import NonFiniteForecast, backtest_frame, forecast_at
from lakecast.forecast.models import ModelSpec

ORIGIN = pd.Timestamp("2023-06-01")


def legacy_of(history: pd.DataFrame, factor: float = 1.2, noise: float = 0.0, seed: int = 1) -> pd.DataFrame:
    """A legacy forecast made at every month for lags 0..4: ``factor`` x the actual of the target (x noise)."""
    rng = np.random.default_rng(seed)
    act = history.set_index(["unique_id", "ds"])["y"]
    rows = []
    for (uid, ds), _ in act.items():
        for k in range(lagdef.MAX_LAG + 1):
            target = pd.Timestamp(lagdef.target_month(ds.date(), k))
            y = act.get((uid, target), np.nan)
            if np.isnan(y):
                continue
            rows.append((uid, ds, target, k, factor * y * np.exp(rng.normal(0, noise))))
    return pd.DataFrame(rows, columns=["unique_id", "fcst_origin", "target_month", "lag", "fcst_qty"])


@pytest.fixture(scope="module")
def hist():
    return make_history(n_per_group=3)


def test_debiased_ratio_matches_hand_computation(hist):
    ext = legacy_of(hist, factor=1.25)
    f = backtest_frame(hist, {"A": ORIGIN}, models=["legacy_debiased"], external=ext)
    uid = "sea_00"
    # hand: lag-0 errors with target in (origin - 24 months, origin]: n rows, A/F = 1/1.25 exactly
    e = ext.loc[(ext.unique_id == uid) & (ext.lag == 0) & (ext.target_month <= ORIGIN)
                & (ext.target_month > ORIGIN - pd.DateOffset(months=L.WINDOW))]
    n = len(e)
    r = (n * (1 / 1.25) + L.KAPPA) / (n + L.KAPPA)
    made = ext.loc[(ext.unique_id == uid) & (ext.fcst_origin == ORIGIN) & (ext.lag == 0), "fcst_qty"].item()
    got = f.loc[(f.unique_id == uid) & (f.lag == 0), "fcst_qty"].item()
    assert got == pytest.approx(made * r, rel=1e-9)
    assert n == L.WINDOW  # 48 months of history: the window is full
    # the correction moves the biased legacy toward the actual
    act = f.loc[(f.unique_id == uid) & (f.lag == 0), "y"].item()
    assert abs(got - act) < abs(made - act)


def test_asis_is_the_legacy_made_at_the_origin(hist):
    ext = legacy_of(hist, factor=1.3, noise=0.2)
    # a lag the delivery leaves out for a DFU it lists is a legacy forecast of 0 (the legacy stops planning it);
    # a DFU the legacy has never listed falls back to the seasonal naive
    drop = ((ext.unique_id == "sea_01") & (ext.lag == 3)) | (ext.unique_id == "sea_02")
    f = backtest_frame(hist, {"A": ORIGIN}, models=["legacy_asis", "seasonal_naive"], external=ext.loc[~drop],
                       horizon=5)
    made = ext.loc[ext.fcst_origin == ORIGIN].set_index(["unique_id", "lag"])["fcst_qty"]
    got = f.loc[f.model_id == "legacy_asis"].set_index(["unique_id", "lag"])["fcst_qty"]
    hole, never = ("sea_01", 3), [k for k in got.index if k[0] == "sea_02"]
    kept = got.drop([hole, *never])
    np.testing.assert_allclose(kept, made.reindex(kept.index), rtol=1e-12)
    assert got[hole] == 0.0
    naive = f.loc[f.model_id == "seasonal_naive"].set_index(["unique_id", "lag"])["fcst_qty"]
    np.testing.assert_allclose(got[never], naive[never])


def test_absent_rows_read_as_zero_only_where_known_at_the_origin():
    months = pd.date_range("2024-01-01", periods=4, freq="MS")
    ids = np.array(["a", "b", "c"])
    rows = [("a", months[0], 0, 5.0), ("a", months[0], 1, 6.0),  # a: listed at month 0, lags 0-1 only
            ("a", months[2], 0, 7.0),                             # ... and again at month 2; month 1 omits it
            ("b", months[2], 0, 9.0)]                             # b: first listed at month 2
    ext = pd.DataFrame(rows, columns=["unique_id", "fcst_origin", "lag", "fcst_qty"])
    ext["target_month"] = [m + pd.DateOffset(months=k + 1) for _, m, k, _ in rows]
    cube = L.legacy_cube(ext, ids, months, n_lags=3)
    assert cube is not None
    np.testing.assert_array_equal(cube[0, 0], [5.0, 6.0, 0.0])  # lag 2 left out at a listed origin: 0
    assert np.isnan(cube[0, 1]).all()  # no delivery at month 1 at all (no DFU has rows): unknown
    np.testing.assert_array_equal(cube[0, 2], [7.0, 0.0, 0.0])
    assert np.isnan(cube[0, 3]).all()  # month 3: no delivery
    assert np.isnan(cube[1, 0]).all()  # b was not yet listed at month 0: unknown, not 0 (no look-ahead)
    np.testing.assert_array_equal(cube[1, 2], [9.0, 0.0, 0.0])
    assert np.isnan(cube[2]).all()  # c: never listed
    # as of month 0 (the cube built at that origin) nothing of later deliveries is read
    early = L.legacy_cube(ext, ids, months[:1], n_lags=3)
    assert early is not None
    np.testing.assert_array_equal(early[0, 0], [5.0, 6.0, 0.0])
    assert np.isnan(early[1:]).all()
    raw = L.legacy_cube(ext, ids, months, n_lags=3, absent_as_zero=False)
    assert raw is not None and np.isnan(raw[0, 0, 2]) and np.isnan(raw[1, 2, 1])


@pytest.mark.parametrize("models", [["legacy_asis", "legacy_debiased", "legacy_vintages"], ["lgbm_global"]])
def test_legacy_after_origin_changes_nothing(hist, models):
    ext = legacy_of(hist, factor=1.1, noise=0.1)
    kw = dict(origins={"A": ORIGIN}, models=models, ml_params=FAST_ML, horizon=5, seed=3)
    base = backtest_frame(hist, external=ext, **kw)
    # legacy forecasts made after the origin, and actuals after it, are altered wildly
    alt_ext = ext.copy()
    late = alt_ext["fcst_origin"] > ORIGIN
    alt_ext.loc[late, "fcst_qty"] *= 7.0
    alt_hist = hist.copy()
    alt_hist.loc[alt_hist["ds"] > ORIGIN, "y"] *= 3.0
    alt = backtest_frame(alt_hist, external=alt_ext, **kw)
    cols = ["unique_id", "fcst_origin", "target_month", "lag", "model_id", "fcst_qty"]
    pd.testing.assert_frame_equal(base[cols], alt[cols])
    # guard: the legacy made AT the origin does reach the models
    at = ext.copy()
    at.loc[at["fcst_origin"] == ORIGIN, "fcst_qty"] *= 3.0
    moved = backtest_frame(hist, external=at, **kw)
    assert not np.allclose(base["fcst_qty"], moved["fcst_qty"])


def test_vintages_are_the_earlier_forecasts_of_the_same_target():
    cube = np.full((1, 6, 5), np.nan)
    for t in range(6):
        for k in range(5):
            cube[0, t, k] = 100 * t + k  # made at t for lag k
    v = L.vintages(cube, t=5, k=2)  # target 5+2+1 = 8: made at 5 (lag 2), 4 (lag 3), 3 (lag 4)
    np.testing.assert_array_equal(v[0], [502, 403, 304])
    ta = L.target_aligned(cube)
    assert ta[0, 5, 0] == 400  # target 5 at lag 0 was made at 4
    assert ta[0, 5, 4] == 4  # at lag 4 it was made at 0
    assert np.isnan(ta[0, 0, 0])


def test_legacy_models_need_the_legacy(hist):
    with pytest.raises(ValueError, match="needs the legacy forecast"):
        backtest_frame(hist, {"A": ORIGIN}, models=["legacy_debiased"])


def test_non_finite_forecast_is_a_clear_error(hist):
    def bad(panel, ctx):
        out = np.ones((panel.n_series, ctx.horizon))
        out[1, 2] = np.nan
        out[3, 0] = np.inf
        return out

    spec = ModelSpec("broken_model", "stat", "local", bad)
    with pytest.raises(NonFiniteForecast, match=r"broken_model .* 2 DFU\(s\)") as err:
        forecast_at(hist, ORIGIN, 5, [spec])
    ids = sorted(hist["unique_id"].unique())
    assert ids[1] in str(err.value) and ids[3] in str(err.value)


def _plan(hist: pd.DataFrame) -> pd.DataFrame:
    """A DFU-level plan: random months promoted (not seasonal: the history cannot explain them), published 2
    months ahead, May promotions cancelled later."""
    rng = np.random.default_rng(5)
    months = pd.date_range("2021-01-01", "2024-06-01", freq="MS")
    rows = []
    for uid in sorted(hist["unique_id"].unique()):
        for m in months[rng.random(len(months)) < 0.3]:
            pub = m - pd.DateOffset(months=2) + pd.DateOffset(days=9)
            rows.append((uid, uid, m, 20.0, "planned", pub))
            if m.month == 5:
                rows.append((uid, uid, m, 20.0, "cancelled", m - pd.DateOffset(days=20)))
    return pd.DataFrame(rows, columns=["unique_id", "item_id", "promo_month", "discount_pct", "status",
                                       "published_at"])


def test_plan_cube_sees_only_versions_published_by_each_anchor():
    from lakecast.forecast.promo import plan_cube

    months = pd.date_range("2023-01-01", "2023-06-01", freq="MS")
    plan = pd.DataFrame({
        "unique_id": ["a", "a", "a"], "item_id": ["i", "i", "i"],
        "promo_month": pd.to_datetime(["2023-05-01", "2023-05-01", "2023-07-01"]),
        "discount_pct": [15.0, 15.0, 30.0], "status": ["planned", "cancelled", "planned"],
        "published_at": pd.to_datetime(["2023-02-10", "2023-04-03", "2023-09-01"]),  # the last: after origin
    })
    cube = plan_cube(plan, np.array(["a"], dtype=object), months, 5)
    # May promo (month index 4) published in Feb (index 1): anchors Feb and Mar see 15% at k = 4 - t - 1
    assert cube[0, 1, 2] == 15.0 and cube[0, 2, 1] == 15.0
    assert cube[0, 0, 3] == 0.0  # January: not yet published
    assert cube[0, 3, 0] == 0.0  # April: cancelled by then
    assert cube[0, 5].sum() == 0.0  # the July plan was published after the origin (June)


def test_promo_plan_after_origin_changes_nothing_and_before_does(hist):
    plan = _plan(hist)
    promoted = set(zip(plan.loc[plan.status == "planned", "unique_id"], plan.loc[plan.status == "planned",
                                                                                  "promo_month"], strict=True))
    hist = hist.copy()  # demand that really responds to the plan: doubled in promoted months
    hist["y"] = np.where([(u, d) in promoted for u, d in zip(hist["unique_id"], hist["ds"], strict=True)],
                         2 * hist["y"], hist["y"])
    ext = legacy_of(hist, factor=1.1, noise=0.1)
    kw = dict(origins={"A": ORIGIN}, models=["lgbm_global"], ml_params={**FAST_ML, "rounds": 40, "min_child": 2},
              horizon=5, seed=3, external=ext)
    base = backtest_frame(hist, promo_plan=plan, **kw)
    late = plan.copy()
    after = late["published_at"] > ORIGIN + pd.offsets.MonthEnd(0)
    assert after.any()
    late.loc[after, "discount_pct"] = 90.0
    late.loc[after, "status"] = "cancelled"
    same = backtest_frame(hist, promo_plan=late, **kw)
    cols = ["unique_id", "target_month", "lag", "model_id", "fcst_qty"]
    pd.testing.assert_frame_equal(base[cols], same[cols])
    early = plan.loc[after]  # the plan known at the origin is gone: the model must notice
    moved = backtest_frame(hist, promo_plan=early, **kw)
    assert not np.allclose(base["fcst_qty"], moved["fcst_qty"])
