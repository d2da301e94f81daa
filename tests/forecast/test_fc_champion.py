import numpy as np
import pandas as pd
import pytest

from lakecast.forecast.champion import (
    CompetitionConfig,
    add_combo,
    ceiling_forecasts,
    resolve_windows,
    run_competition,
    select_champions,
)

TF = list("ABCDEFGHIJ")
ORIGINS = pd.date_range("2023-01-01", periods=10, freq="MS")


def synthetic_frame(seed: int = 0) -> pd.DataFrame:
    """3 DFUs x 10 origins x 5 lags x 3 models with known error levels per DFU."""
    rng = np.random.default_rng(seed)
    # model error scale per DFU: 'good' model differs by DFU
    err = {"u1": {"seasonal_naive": 5, "m_a": 1, "m_b": 3},
           "u2": {"seasonal_naive": 5, "m_a": 3, "m_b": 1},
           "u3": {"seasonal_naive": 1, "m_a": 4, "m_b": 4}}
    rows = []
    for uid, scales in err.items():
        for tf, o in zip(TF, ORIGINS, strict=True):
            for lag in range(5):
                tm = o + pd.DateOffset(months=lag + 1)
                y = 100.0 + 10 * np.sin(tm.month)
                for mid, sc in scales.items():
                    rows.append({"unique_id": uid, "fcst_origin": o, "timeframe": tf, "target_month": tm,
                                 "lag": lag, "model_id": mid, "fcst_qty": y + sc * rng.choice([-1, 1]),
                                 "y": y, "cluster_id": 0})
    return pd.DataFrame(rows)


def test_default_windows_disjoint_and_known_at_decision_time():
    f = synthetic_frame()
    sel, hold = resolve_windows(f, CompetitionConfig(lag=2))
    assert hold == ("I", "J")
    assert sel == tuple("ABCDEF")
    tm = lambda tfs: set(f[(f.lag == 2) & f.timeframe.isin(tfs)].target_month)  # noqa: E731
    assert not tm(sel) & tm(hold)
    assert max(tm(sel)) <= f[f.timeframe == "I"].fcst_origin.iloc[0]
    # execution lag resolves through the config
    assert resolve_windows(f, CompetitionConfig(lag="execution_lag", execution_lag=4))[0] == tuple("ABCD")


def test_overlapping_windows_rejected():
    f = synthetic_frame()
    with pytest.raises(ValueError, match="overlap|decision"):
        resolve_windows(f, CompetitionConfig(lag=2, selection_timeframes=("A", "G"),
                                             holdout_timeframes=("I",)))
    with pytest.raises(ValueError, match="decision"):
        resolve_windows(f, CompetitionConfig(lag=2, selection_timeframes=("G",), holdout_timeframes=("H",)))


def test_champions_are_the_best_per_dfu_and_scored_on_holdout():
    f = synthetic_frame()
    r = run_competition(f, CompetitionConfig(lag=2))
    champ = r.selection.set_index("unique_id")["champion_model_id"].to_dict()
    assert champ == {"u1": "m_a", "u2": "m_b", "u3": "seasonal_naive"}
    assert set(r.champion["timeframe"]) == {"I", "J"}
    assert (r.champion["model_id"] == "champion").all()
    assert set(r.champion["lag"]) == set(range(5))  # champion forecasts all lags of the holdout origins
    s = r.scores.set_index("model_id")
    assert s.loc["seasonal_naive", "fva_vs_baseline"] == pytest.approx(0.0)
    assert s.loc["champion", "fva_vs_baseline"] > 0
    assert s.loc["ceiling", "gap_to_ceiling"] == pytest.approx(0.0)
    for m in ("champion", "m_a", "m_b", "seasonal_naive"):
        assert s.loc[m, "gap_to_ceiling"] >= 0
        assert s.loc[m, "n_rows"] == 3 * 2  # 3 DFUs x 2 holdout origins at lag 2
    # hand check: champion abs errors at holdout = 1 for every DFU; y ~ 100
    assert s.loc["champion", "wape"] == pytest.approx(
        6 / f[(f.lag == 2) & f.timeframe.isin(["I", "J"]) & (f.model_id == "m_a")].y.sum())


def test_min_rows_fallback_and_zero_actuals():
    f = synthetic_frame()
    cfg = CompetitionConfig(lag=2, min_rows=100)
    sel = select_champions(f, cfg)
    assert sel["is_fallback"].all() and (sel["champion_model_id"] == "seasonal_naive").all()
    z = f.copy()
    z.loc[z.unique_id == "u1", "y"] = 0.0  # WAPE undefined -> ranked by MAE
    sel = select_champions(z, CompetitionConfig(lag=2)).set_index("unique_id")
    assert sel.loc["u1", "selection_metric"] == "mae"
    assert not sel.loc["u1", "is_fallback"]


def test_combo_and_external_fva():
    f = synthetic_frame()
    c = add_combo(f, ["m_a", "m_b"])
    combo = c[c.model_id == "combo_mean"].set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"]
    mean = f[f.model_id.isin(["m_a", "m_b"])].groupby(["unique_id", "fcst_origin", "lag"])["fcst_qty"].mean()
    pd.testing.assert_series_equal(combo.sort_index(), mean.sort_index(), check_names=False)
    ext = f[f.model_id == "seasonal_naive"][["unique_id", "target_month", "lag", "fcst_qty"]].copy()
    r = run_competition(f, CompetitionConfig(lag=2, combo_members=("m_a", "m_b")), external=ext)
    s = r.scores.set_index("model_id")
    assert "combo_mean" in s.index
    assert s.loc["champion", "fva_vs_external"] == pytest.approx(s.loc["champion", "fva_vs_baseline"])
    with pytest.raises(ValueError, match="combo members"):
        add_combo(f, ["m_a", "nope"])


def test_ceiling_is_per_dfu_month_minimum():
    f = synthetic_frame()
    c = ceiling_forecasts(f, ["m_a", "m_b", "seasonal_naive"])
    err = (c["fcst_qty"] - c["y"]).abs()
    assert (err <= 1 + 1e-9).all()
    assert len(c) == 3 * 10 * 5


def test_lag_all_pools_every_lag():
    f = synthetic_frame()
    cfg = CompetitionConfig(lag="all", selection_timeframes=("A", "B", "C"), holdout_timeframes=("J",))
    r = run_competition(f, cfg)
    assert r.lag is None
    assert r.scores.set_index("model_id").loc["champion", "n_rows"] == 3 * 5
    with pytest.raises(ValueError):
        resolve_windows(f, CompetitionConfig(lag="all", selection_timeframes=("E",),
                                             holdout_timeframes=("F",)))


def test_champion_applies_to_forward_forecasts():
    from lakecast.forecast.champion import champion_forecasts

    f = synthetic_frame()
    sel = run_competition(f, CompetitionConfig(lag=2)).selection
    fwd = f[f.timeframe == "J"].drop(columns=["timeframe", "y"])  # shaped like forecast_frame output
    ch = champion_forecasts(fwd, sel)
    assert len(ch) == 3 * 5 and (ch.model_id == "champion").all()
    src = fwd.set_index(["unique_id", "lag", "model_id"])["fcst_qty"]
    pick = sel.set_index("unique_id")["champion_model_id"]
    for r in ch.itertuples():
        assert r.fcst_qty == src[(r.unique_id, r.lag, pick[r.unique_id])]


def test_cluster_scope_pools_each_group_and_small_groups_take_the_all_dfu_choice(monkeypatch):
    import lakecast.forecast.champion as C

    f = synthetic_frame()
    groups = pd.DataFrame({"unique_id": ["u1", "u2", "u3"], "group": ["g12", "g12", "g3"],
                           "intermittent": [False, False, False]})
    cfg = CompetitionConfig(lag=0, scope="cluster")
    monkeypatch.setattr(C, "MIN_GROUP_ROWS", 1)
    sel = select_champions(f, cfg, groups=groups).set_index("unique_id")["champion_model_id"]
    # u1 + u2 pooled: m_a and m_b tie on error (1 and 3 vs 3 and 1), ties -> model order (m_a); u3: naive
    assert sel["u3"] == "seasonal_naive" and sel["u1"] == sel["u2"]
    monkeypatch.setattr(C, "MIN_GROUP_ROWS", 10_000)  # every group too small: one pooled choice for all
    pooled = select_champions(f, cfg, groups=groups)["champion_model_id"]
    assert pooled.nunique() == 1
    with pytest.raises(ValueError, match="needs groups"):
        select_champions(f, cfg)


def test_srmse_does_not_reward_a_zero_forecast_of_lumpy_demand():
    from lakecast.forecast import metrics as M

    y = np.array([0, 0, 6, 0, 0, 0, 4, 0, 0, 2], dtype=float)  # mean 1.2, median 0
    zero, mean = np.zeros_like(y), np.full_like(y, y.mean())
    wape_zero, wape_mean, srmse_zero, srmse_mean = M.wape(y, zero), M.wape(y, mean), M.srmse(y, zero), M.srmse(y, mean)
    assert wape_zero is not None and wape_mean is not None and srmse_zero is not None and srmse_mean is not None
    assert wape_zero < wape_mean  # WAPE prefers the biased zero
    assert srmse_mean < srmse_zero  # srmse prefers the unbiased mean


def test_rmsse_scale_and_pooled_rmsse_by_hand():
    """M5: scale = mean squared one-step change from the first non-zero value; pooled over rows with a scale."""
    from lakecast.forecast import metrics as M

    assert M.rmsse_scale([0, 0, 2, 0, 4]) == pytest.approx((4 + 16) / 2)  # from the 2 on: changes -2, +4
    assert M.rmsse_scale([0, 0, 0]) is None  # never launched
    assert M.rmsse_scale([3, 3, 3]) is None  # no change: no scale
    assert M.rmsse_scale([0, 5]) is None  # one point from launch on
    y, f = np.array([1.0, 3.0, 2.0]), np.array([2.0, 1.0, 2.0])
    scale = np.array([1.0, 4.0, np.nan])  # the third row has no scale: left out
    assert M.rmsse(y, f, scale) == pytest.approx(np.sqrt((1 / 1 + 4 / 4) / 2))
    assert M.rmsse(y, f, np.array([np.nan, 0, np.nan])) is None
    lumpy = np.array([0, 0, 6, 0, 0, 0, 4, 0, 0, 2], dtype=float)
    sc = np.full_like(lumpy, M.rmsse_scale(lumpy))
    of_mean, of_zero = M.rmsse(lumpy, np.full_like(lumpy, lumpy.mean()), sc), M.rmsse(lumpy, np.zeros_like(lumpy), sc)
    assert of_mean is not None and of_zero is not None and of_mean < of_zero


def test_rmsse_scales_use_only_actuals_up_to_the_decision_origin():
    """The per-DFU scale is fixed at the decision origin: changing actuals after it changes no scale."""
    from lakecast.forecast import metrics as M
    from lakecast.forecast.champion import rmsse_scales

    f = synthetic_frame()
    decision = ORIGINS[8]
    before = rmsse_scales(f, decision)
    later = f.assign(y=np.where(pd.to_datetime(f["target_month"]) > decision, f["y"] * 7 + 3, f["y"]))
    pd.testing.assert_series_equal(rmsse_scales(later, decision), before)
    months = pd.date_range("2022-01-01", periods=5, freq="MS")
    hist = pd.DataFrame({"unique_id": np.repeat(["a", "never", "flat"], 5), "ds": np.tile(months, 3),
                         "y": [0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3]})
    by_hist = rmsse_scales(f, months[-1], history=hist)  # history given: the frame's actuals are not used
    assert by_hist["a"] == pytest.approx(M.rmsse_scale([0, 0, 2, 0, 4]))
    assert np.isnan(by_hist["never"]) and np.isnan(by_hist["flat"])
    assert rmsse_scales(f, months[3], history=hist)["a"] == pytest.approx(4.0)  # [2, 0] only: one change of -2
    u1 = f.loc[(f["unique_id"] == "u1") & (f["target_month"] <= decision)].drop_duplicates("target_month")
    expected = M.rmsse_scale(u1.sort_values("target_month")["y"].to_numpy())
    assert before["u1"] == pytest.approx(expected)


def test_intermittent_groups_rank_by_rmsse_with_the_decision_origin_scale(monkeypatch):
    """A group flagged intermittent is ranked by pooled RMSSE (default), computed here by hand."""
    import lakecast.forecast.champion as C
    from lakecast.forecast import metrics as M

    monkeypatch.setattr(C, "MIN_GROUP_ROWS", 1)
    f = synthetic_frame()
    models = ("seasonal_naive", "m_a", "m_b")
    cfg = CompetitionConfig(lag=0, scope="cluster", models=models)
    assert cfg.intermittent_metric == "rmsse"
    groups = pd.DataFrame({"unique_id": ["u1", "u2", "u3"], "group": ["g", "g", "g"],
                           "intermittent": [True, True, True]})
    res = run_competition(f, cfg, groups=groups)
    sel_tf, hold_tf = res.selection_timeframes, res.holdout_timeframes
    decision = f.loc[f["timeframe"] == hold_tf[0], "fcst_origin"].iloc[0]
    scale = {}
    for u, g in f.loc[f["target_month"] <= decision].drop_duplicates(["unique_id", "target_month"]).groupby(
            "unique_id"):
        scale[u] = M.rmsse_scale(g.sort_values("target_month")["y"].to_numpy())
    d = f.loc[f["timeframe"].isin(sel_tf) & (f["lag"] == 0)]
    score = {m: np.sqrt(np.mean([(r.fcst_qty - r.y) ** 2 / scale[r.unique_id]
                                 for r in d.loc[d.model_id == m].itertuples()])) for m in models}
    best = min(models, key=lambda m: (score[m], models.index(m)))
    assert set(res.selection["champion_model_id"]) == {best}
    assert set(res.selection["selection_metric"]) == {"rmsse"}


def test_cluster_scope_pools_rows_by_the_segment_at_their_origin_and_new_dfus_take_their_segment_model(
        monkeypatch):
    """Each selection row counts for the segment its DFU had at that row's origin; membership is the segment
    at the decision origin; a DFU without selection rows takes its segment's model, not the fallback."""
    import lakecast.forecast.champion as C

    monkeypatch.setattr(C, "MIN_GROUP_ROWS", 1)
    f = synthetic_frame()
    models = ("seasonal_naive", "m_a", "m_b")
    cfg = CompetitionConfig(lag=0, scope="cluster", models=models)
    sel_tf, hold_tf = resolve_windows(f, cfg)
    decision = f.loc[f["timeframe"] == hold_tf[0], "fcst_origin"].iloc[0]
    new = f.loc[(f["unique_id"] == "u1") & f["timeframe"].isin(hold_tf)].assign(unique_id="u4")
    f = pd.concat([f, new], ignore_index=True)
    early = ORIGINS[:4]  # u3 sat in g2 at the first 4 origins, in g1 afterwards
    rows = []
    for o in ORIGINS[decision >= ORIGINS]:
        for uid, grp in (("u1", "g1"), ("u2", "g2"), ("u3", "g2" if o in early else "g1")):
            rows.append({"unique_id": uid, "fcst_origin": o, "group": grp, "intermittent": False})
    rows.append({"unique_id": "u4", "fcst_origin": decision, "group": "g1", "intermittent": False})
    groups = pd.DataFrame(rows)
    sel = select_champions(f, cfg, groups=groups).set_index("unique_id")

    # independent expectation: pooled WAPE per model over the rows each segment owned at their origin
    d = f.loc[f["timeframe"].isin(sel_tf) & (f["lag"] == 0)]
    owner = np.where(d["unique_id"].eq("u1") | (d["unique_id"].eq("u3") & ~d["fcst_origin"].isin(early)), "g1",
                     "g2")
    expected = {}
    for grp in ("g1", "g2"):
        part = d.loc[owner == grp]
        w = {m: (part.loc[part.model_id == m, "fcst_qty"] - part.loc[part.model_id == m, "y"]).abs().sum()
             / part.loc[part.model_id == m, "y"].abs().sum() for m in models}
        expected[grp] = min(models, key=lambda m: (w[m], models.index(m)))
    assert expected["g1"] != expected["g2"]  # the test separates the segments
    assert sel.loc["u1", "champion_model_id"] == sel.loc["u3", "champion_model_id"] == expected["g1"]
    assert sel.loc["u2", "champion_model_id"] == expected["g2"]
    assert sel.loc["u4", "champion_model_id"] == expected["g1"] and not sel.loc["u4", "is_fallback"]
    assert sel.loc["u4", "selection_rows"] == 0
