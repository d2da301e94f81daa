from typing import Any

import numpy as np
import pandas as pd
import pytest
from fc_synth import FAST_ML

from lakecast.forecast.backtest import BACKTEST_COLUMNS, backtest_frame
from lakecast.forecast.models import MODELS

ORIGIN = pd.Timestamp("2022-12-01")


@pytest.mark.parametrize("lib", ["lgbm", "catboost", "xgb"])
def test_transfer_does_not_mutate_the_global_base(history, lib):
    """The global model is cached and reused as the transfer base: continuing it must copy, not mutate."""
    kw = dict(origins={"A": ORIGIN}, seed=1, ml_params=FAST_ML)
    alone = backtest_frame(history, models=[f"{lib}_global"], **kw)
    after = backtest_frame(history, models=[f"{lib}_transfer", f"{lib}_global", f"{lib}_per_cluster"], **kw)
    g = after[after.model_id == f"{lib}_global"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, g)
    by = after.pivot_table(index=["unique_id", "lag"], columns="model_id", values="fcst_qty")
    assert not np.allclose(by[f"{lib}_transfer"], by[f"{lib}_global"])
    assert not np.allclose(by[f"{lib}_per_cluster"], by[f"{lib}_global"])


def test_ml_uses_price_and_promo_history(history):
    kw: dict[str, Any] = dict(origins={"A": ORIGIN}, models=["lgbm_global"], seed=1,
              ml_params={**FAST_ML, "rounds": 40, "min_child": 2})
    a = backtest_frame(history, **kw)
    b = backtest_frame(history.drop(columns=["price", "promo"]), **kw)
    assert not np.allclose(a["fcst_qty"], b["fcst_qty"])


@pytest.mark.slow
def test_no_leakage_all_registry_models(history, statics):
    """Every registry model, including AutoARIMA (slow), is blind to data after the origin."""
    from test_fc_backtest import _alter_after

    altered_h, altered_s = _alter_after(history, statics, ORIGIN)
    kw = dict(origins={"A": ORIGIN}, models=list(MODELS), seed=3, ml_params=FAST_ML, horizon=6)
    cols = [c for c in BACKTEST_COLUMNS if c != "y"]
    pd.testing.assert_frame_equal(backtest_frame(history, statics=statics, **kw)[cols],
                                  backtest_frame(altered_h, statics=altered_s, **kw)[cols])


def test_training_series_is_a_fixed_hash_sample():
    """Up to the limit every series trains; above it the ``max`` ids with the smallest crc32, whatever the
    order the ids come in (the panel sorts them, a Spark task may not)."""
    import zlib

    from lakecast.forecast.models.ml import training_series

    ids = np.array([f"I{i:05d}|L{i % 7:03d}" for i in range(500)])
    assert training_series(ids, 500).all() and training_series(ids, 0).all()
    keep = training_series(ids, 120)
    assert keep.sum() == 120
    by_hash = sorted(ids, key=lambda s: (zlib.crc32(s.encode()), s))[:120]
    assert set(ids[keep]) == set(by_hash)
    shuffled = np.random.default_rng(0).permutation(ids)
    assert set(shuffled[training_series(shuffled, 120)]) == set(by_hash)
    with pytest.raises(ValueError, match="max_train_series"):
        training_series(ids, -1)


def test_global_models_train_on_the_sample_and_forecast_every_series(history):
    """With ``max_train_series`` below the number of series, the training rows are exactly the observed
    (anchor, target) pairs of the sampled series (counted here from the history frame), and every series
    still gets a forecast; at or above the number of series nothing changes."""
    from lakecast.forecast.models.base import ForecastContext
    from lakecast.forecast.models.ml import design, training_series
    from lakecast.forecast.panel import build_panel, normalise_history

    hist = normalise_history(history)
    hist = hist[hist["ds"] <= ORIGIN]
    panel = build_panel(hist, ORIGIN, normalised=True)
    n, k, h, window = panel.n_series, panel.n_series // 3, 2, FAST_ML["train_window"]
    ctx = ForecastContext(horizon=3, ml_params={**FAST_ML, "max_train_series": k})
    d = design(panel, ctx, h)
    sampled = set(panel.ids[training_series(panel.ids, k)])
    assert set(panel.ids[d["rows"]]) <= sampled and len(d["Xp"]) == n
    # independent count: anchors t in the last `window` months with t + h <= origin, both months observed
    months = pd.date_range(end=ORIGIN, periods=panel.y.shape[1], freq="MS")
    anchors = months[-h - window:-h]
    obs = set(zip(hist["unique_id"], hist["ds"], strict=True))
    expected = sum((u, t) in obs and (u, t + pd.DateOffset(months=h)) in obs for u in sampled for t in anchors)
    assert len(d["y"]) == expected > 0
    kw: dict[str, Any] = dict(origins={"A": ORIGIN}, models=["lgbm_global"], seed=1)
    full = backtest_frame(history, ml_params=FAST_ML, **kw)
    pd.testing.assert_frame_equal(full, backtest_frame(history, ml_params={**FAST_ML, "max_train_series": n}, **kw))
    part = backtest_frame(history, ml_params={**FAST_ML, "max_train_series": k}, **kw)
    assert len(part) == len(full) and part["fcst_qty"].notna().all()
    assert not np.allclose(part["fcst_qty"], full["fcst_qty"])
