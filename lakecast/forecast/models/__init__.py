"""Model registry: ``MODELS[model_id] -> ModelSpec`` and the fast ``DEFAULT_MODELS`` set."""

from __future__ import annotations

from contracts.forecast import MODEL_IDS
from lakecast.forecast.models.base import ForecastContext, ModelSpec, fallback_level
from lakecast.forecast.models.legacy import legacy_specs
from lakecast.forecast.models.ml import ml_specs
from lakecast.forecast.models.stat import stat_specs

MODELS: dict[str, ModelSpec] = {**stat_specs(), **ml_specs(), **legacy_specs()}
if set(MODELS) != set(MODEL_IDS):  # the API's model parameters are typed with contracts.forecast.ModelId
    raise ImportError(f"model registry and contracts.forecast.ModelId differ: registry only "
                      f"{sorted(set(MODELS) - set(MODEL_IDS))}, contract only {sorted(set(MODEL_IDS) - set(MODELS))}")

# Fast default set for ~2,000 DFUs x 60 months x 10 origins on 2 cores (see docs/forecasting.md for timings).
DEFAULT_MODELS: tuple[str, ...] = (
    "seasonal_naive",
    "theta",
    "croston_optimized",
    "tsb",
    "adida",
    "legacy_asis",
    "legacy_debiased",
    "legacy_vintages",
    "lgbm_global",
    "xgb_global",
    "catboost_global",
)

# model family (ModelSpec.family) -> algorithm name used in tables and the MLflow registry
FAMILY_NAMES: dict[str, str] = {"stat": "statsforecast", "lgbm": "lightgbm", "catboost": "catboost", "xgb": "xgboost",
                                "legacy": "legacy"}

STAT_MODELS = tuple(m for m, s in MODELS.items() if s.family == "stat")
ML_MODELS = tuple(m for m, s in MODELS.items() if s.strategy != "local")


def resolve_models(model_ids) -> list[ModelSpec]:
    ids = list(DEFAULT_MODELS if model_ids is None else model_ids)
    unknown = [m for m in ids if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model ids {unknown}; known: {sorted(MODELS)}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate model ids in {ids}")
    return [MODELS[m] for m in ids]


__all__ = ["MODELS", "DEFAULT_MODELS", "FAMILY_NAMES", "STAT_MODELS", "ML_MODELS", "ModelSpec", "ForecastContext",
           "fallback_level", "resolve_models"]
