"""Fixtures for the forecasting-core tests; the data builders live in fc_synth.py."""

from __future__ import annotations

import pandas as pd
import pytest
from fc_synth import make_history, make_statics


@pytest.fixture(scope="session")
def history() -> pd.DataFrame:
    return make_history()


@pytest.fixture(scope="session")
def statics(history) -> pd.DataFrame:
    return make_statics(history)
