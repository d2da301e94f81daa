import math

import numpy as np
import pytest

from lakecast.forecast import metrics as M


def test_wape_accuracy_bias_hand_computed():
    a = [10, 0, 5, 5]
    f = [12, 1, 3, 5]
    # sum|F-A| = 2+1+2+0 = 5 ; sum|A| = 20
    assert M.wape(a, f) == pytest.approx(0.25)
    assert M.accuracy_pct(a, f) == pytest.approx(75.0)
    # sum F = 21, sum A = 20
    assert M.bias(a, f) == pytest.approx(0.05)
    assert M.mae(a, f) == pytest.approx(1.25)


def test_accuracy_floored_at_zero():
    assert M.accuracy_pct([1, 1], [10, 10]) == 0.0
    assert M.wape([1, 1], [10, 10]) == pytest.approx(9.0)


def test_zero_actuals_are_undefined_not_nan():
    assert M.wape([0, 0], [1, 2]) is None
    assert M.accuracy_pct([0, 0], [1, 2]) is None
    assert M.bias([0, 0], [1, 2]) is None
    assert M.mape([0, 0], [1, 2]) is None
    # bias is undefined when sum A == 0 even if |A| sums to more
    assert M.bias([1, -1], [1, 1]) is None


def test_mape_skips_zero_actuals():
    # rows with A=0 ignored: |12-10|/10 = 0.2, |3-5|/5 = 0.4 -> mean 30%
    assert M.mape([10, 0, 5], [12, 7, 3]) == pytest.approx(30.0)


def test_smape_m3_definition_with_zeros():
    # 200*|F-A|/(|F|+|A|): 200*2/22, 200*1/1 (A=0), 0 (both 0)
    v = M.smape([10, 0, 0], [12, 1, 0])
    assert v == pytest.approx((200 * 2 / 22 + 200.0 + 0.0) / 3)


def test_mase_seasonal_scale():
    ins = [1, 2, 3, 4, 2, 3, 4, 5]  # m=4 differences all 1 -> scale 1
    assert M.mase_scale(ins, 4) == pytest.approx(1.0)
    assert M.mase([5, 6], [6, 8], insample=ins, season_length=4) == pytest.approx(1.5)
    # non-seasonal scale: mean |diff| = (1+1+1+2+1+1+1)/7
    assert M.mase_scale(ins, 1) == pytest.approx(8 / 7)
    # too short for m -> falls back to lag 1; constant -> undefined
    assert M.mase_scale([1, 3], 12) == pytest.approx(2.0)
    assert M.mase([1], [2], insample=[5, 5, 5], season_length=1) is None


def test_mean_mase_per_series_averages_series():
    ins = {"a": [0, 1, 2, 3], "b": [0, 2, 4, 6]}  # scales 1 and 2
    v = M.mean_mase_per_series([4, 8], [5, 8], unique_id=["a", "b"], insample=ins)
    assert v == pytest.approx((1.0 + 0.0) / 2)


@pytest.mark.parametrize("fn", [M.wape, M.accuracy_pct, M.bias, M.mae, M.mape, M.smape])
def test_empty_and_bad_input_raise(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(ValueError, match="length"):
        fn([1, 2], [1])
    with pytest.raises(ValueError, match="NaN"):
        fn([1, math.nan], [1, 1])


def test_pooled_not_averaged():
    # pooled WAPE weights by volume: (0 + 10) / (100 + 10) ; per-series mean would be (0 + 1)/2
    assert M.wape(np.array([100, 10]), np.array([100, 20])) == pytest.approx(10 / 110)


def test_every_metric_a_config_may_name_is_one_the_competition_knows():
    """settings.CompetitionMetric (what conf/ and the API accept) names only metrics of METRICS: a metric added
    to one list and not the other fails here, not in a forecast run."""
    from typing import get_args

    from lakecast.settings import CompetitionMetric

    assert set(get_args(CompetitionMetric)) <= set(M.METRICS)
