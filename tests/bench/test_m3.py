"""bench/m3.py's combination search (the pure part of the M3 benchmark; the benchmark itself is run by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.m3 import Cube, search_subsets

pytestmark = pytest.mark.unit

# one series, one validation origin, two lags; actuals 10 and 20
FORECASTS = {"A": [10.0, 20.0], "B": [20.0, 40.0], "C": [0.0, 0.0]}


def _cube() -> Cube:
    rows = [{"unique_id": "s1", "timeframe": "V1", "lag": lag, "model_id": mid, "fcst_qty": f[lag],
             "y": [10.0, 20.0][lag], "mase_scale": 1.0} for mid, f in FORECASTS.items() for lag in (0, 1)]
    return Cube(pd.DataFrame(rows), ["V1"])


def test_search_subsets_finds_the_best_combination() -> None:
    # means of pairs: A+B = 15, 30 (sMAPE 40), A+C = 5, 10 (66.7), B+C = 10, 20 (0: exact); the triple also
    # scores 0 but is not strictly better, so the first exact one found, the pair, wins
    assert search_subsets(_cube(), ["A", "B", "C"], ["V1"], "smape") == (("B", "C"), "mean", 0.0)


def test_search_subsets_without_a_pair_is_an_error() -> None:
    with pytest.raises(ValueError, match="no subset of >= 2"):
        search_subsets(_cube(), ["A"], ["V1"], "smape")
