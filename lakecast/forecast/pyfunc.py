"""The MLflow pyfunc flavour of a Lakecast model (imported only when models are registered)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel  # not `mlflow.pyfunc.PythonModel`: mlflow types `mlflow.pyfunc` as a LazyLoader


class LakecastForecaster(PythonModel):
    """One Lakecast model id + its parameters, refit on the history it is given.

    ``predict(history)`` takes the long frame ``unique_id, ds, y[, price, promo]`` and returns the forecast
    frame of :func:`lakecast.forecast.backtest.forecast_frame` from the last month of that history. The
    forecasting models are refit per origin by design, so the registered artifact is the model *recipe*
    (id, parameters, code version), not a frozen fit.
    """

    def __init__(self, model_id: str, horizon: int, seed: int, season_length: int, ml_params: dict):
        self.model_id, self.horizon, self.seed = model_id, horizon, seed
        self.season_length, self.ml_params = season_length, dict(ml_params)

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        from lakecast.forecast.backtest import forecast_frame

        return forecast_frame(model_input, horizon=self.horizon, model_ids=[self.model_id], seed=self.seed,
                              season_length=self.season_length, ml_params=self.ml_params)
