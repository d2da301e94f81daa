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
    kw = dict(origins={"A": ORIGIN}, models=["lgbm_global"], seed=1,
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
