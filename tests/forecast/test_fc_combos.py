"""Combination variants (median combo, per-DFU top-k by selection error, global champion) and AutoCES."""

import numpy as np
import pandas as pd
import pytest
from test_fc_champion import synthetic_frame

from lakecast.forecast.backtest import backtest_frame
from lakecast.forecast.champion import (
    CompetitionConfig,
    add_combo,
    run_competition,
    select_champions,
    top_k_forecasts,
)
from lakecast.forecast.models import MODELS

ORIGIN = pd.Timestamp("2022-12-01")


def test_median_combo_is_the_middle_member():
    f = synthetic_frame()
    out = add_combo(f, ["seasonal_naive", "m_a", "m_b"], "combo_median", how="median")
    c = out[out.model_id == "combo_median"].set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"]
    piv = f.pivot_table(index=["unique_id", "fcst_origin", "lag"], columns="model_id", values="fcst_qty")
    np.testing.assert_allclose(c.loc[piv.index], np.median(piv[["seasonal_naive", "m_a", "m_b"]], axis=1))
    # the mean variant is unchanged (default)
    m = add_combo(f, ["m_a", "m_b"])
    cm = m[m.model_id == "combo_mean"].set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"]
    np.testing.assert_allclose(cm.loc[piv.index], (piv["m_a"] + piv["m_b"]) / 2)
    with pytest.raises(ValueError, match="unknown combination"):
        add_combo(f, ["m_a", "m_b"], how="mode")


def test_top_k_averages_the_k_best_models_of_each_dfu_on_holdout_only():
    f = synthetic_frame()
    cfg = CompetitionConfig(lag=2, models=("seasonal_naive", "m_a", "m_b"))
    # selection-window errors: u1 m_a(1) < m_b(3) < naive(5); u2 m_b < m_a < naive; u3 naive(1) < m_a = m_b (4)
    top2 = top_k_forecasts(f, cfg, 2, ("I", "J"), model_id="combo_top2")
    assert set(top2["timeframe"]) == {"I", "J"}
    assert (top2["model_id"] == "combo_top2").all()
    piv = f.pivot_table(index=["unique_id", "fcst_origin", "lag"], columns="model_id", values="fcst_qty")
    got = top2.set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"]
    for uid, pair in {"u1": ["m_a", "m_b"], "u2": ["m_a", "m_b"], "u3": ["seasonal_naive", "m_a"]}.items():
        want = piv.loc[uid][pair].mean(axis=1)
        want = want[want.index.get_level_values("fcst_origin").isin(f[f.timeframe.isin(["I", "J"])].fcst_origin)]
        np.testing.assert_allclose(got.loc[uid].loc[want.index], want)
    # k = 1 is the champion
    top1 = top_k_forecasts(f, cfg, 1, ("I", "J"))
    res = run_competition(f, cfg)
    c = res.champion.set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"].sort_index()
    np.testing.assert_allclose(top1.set_index(["unique_id", "fcst_origin", "lag"])["fcst_qty"].sort_index(), c)
    with pytest.raises(ValueError, match="top_k"):
        top_k_forecasts(f, cfg, 0, ("I",))


def test_run_competition_scores_the_top_k_combo_on_the_holdout():
    f = synthetic_frame()
    res = run_competition(f, CompetitionConfig(lag=2, top_k=2, top_k_id="combo_top2"))
    s = res.scores.set_index("model_id")
    assert s.loc["combo_top2", "n_rows"] == 3 * 2  # 3 DFUs x holdout I, J at lag 2
    assert set(res.frame.loc[res.frame.model_id == "combo_top2", "timeframe"]) == {"I", "J"}
    # without top_k nothing changes
    plain = run_competition(f, CompetitionConfig(lag=2))
    assert "combo_top2" not in set(plain.scores["model_id"])


def test_global_scope_gives_every_dfu_the_best_pooled_model():
    f = synthetic_frame()
    cfg = CompetitionConfig(lag=2, scope="global", models=("seasonal_naive", "m_a", "m_b"))
    sel = select_champions(f, cfg)
    # pooled abs errors per row: naive (5+5+1)/3, m_a (1+3+4)/3, m_b (3+1+4)/3 -> m_a and m_b tie, m_a ranks first
    assert set(sel["champion_model_id"]) == {"m_a"}
    assert list(sel["selection_rows"]) == [6, 6, 6]  # A..F at lag 2 per DFU
    per_dfu = select_champions(f, CompetitionConfig(lag=2, models=("seasonal_naive", "m_a", "m_b")))
    assert per_dfu.set_index("unique_id")["champion_model_id"].to_dict() == {
        "u1": "m_a", "u2": "m_b", "u3": "seasonal_naive"}
    with pytest.raises(ValueError, match="scope"):
        select_champions(f, CompetitionConfig(lag=2, scope="cluster"))


def test_auto_ces_is_registered_and_forecasts_every_series(history):
    assert MODELS["auto_ces"].family == "stat" and MODELS["auto_ces"].strategy == "local"
    f = backtest_frame(history, {"A": ORIGIN}, models=["auto_ces", "seasonal_naive"])
    ces = f[f.model_id == "auto_ces"]
    assert len(ces) == history.loc[history.ds <= ORIGIN, "unique_id"].nunique() * 5
    assert np.isfinite(ces["fcst_qty"]).all() and (ces["fcst_qty"] >= 0).all()
    # a seasonal series gets a seasonal forecast close to its level, not a flat line at zero
    seas = ces[ces.unique_id == "sea_00"]["fcst_qty"]
    level = history[(history.unique_id == "sea_00") & (history.ds <= ORIGIN)]["y"].tail(12).mean()
    assert seas.std() > 0 and abs(seas.mean() / level - 1) < 0.5
