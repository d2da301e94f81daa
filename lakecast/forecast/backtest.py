"""Expanding-window backtests and forward forecasts (pure pandas/numpy; Spark calls these per group).

Everything at an origin -- features, clusters, scalers, encoders, ABC classes, static attributes, model fits
-- is computed from rows with ``ds <= fcst_origin`` only: :func:`lakecast.forecast.panel.build_panel` cuts the
history first, and static attributes are taken as of the origin (:func:`statics_asof`). Actuals (``y``) are
joined afterwards for scoring only.

Lags follow :mod:`lakecast.lag`: ``target_month = fcst_origin + lag + 1`` months.
"""

from __future__ import annotations

import string
import time
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from lakecast import lag as lagdef
from lakecast.forecast.clustering import cluster_assignments
from lakecast.forecast.legacy import legacy_cube, normalise_external
from lakecast.forecast.models import ForecastContext, ModelSpec, resolve_models
from lakecast.forecast.panel import (
    actuals_lookup,
    build_panel,
    month_start,
    normalise_history,
    static_codes,
    statics_asof,
    to_date,
)
from lakecast.forecast.promo import plan_cube

BACKTEST_COLUMNS = ["unique_id", "fcst_origin", "timeframe", "target_month", "lag", "model_id", "fcst_qty",
                    "y", "cluster_id"]
FORECAST_COLUMNS = ["unique_id", "fcst_origin", "target_month", "lag", "model_id", "fcst_qty", "cluster_id"]


def make_origins(last_month, n_origins: int = 10, horizon: int = 5, step: int = 1) -> pd.DataFrame:
    """Expanding-window backtest origins, oldest first, labelled A, B, ... (A = oldest).

    ``last_month`` is the last month with actuals. The newest origin is ``last_month - horizon`` so that all
    ``horizon`` lags of every origin have actuals; consecutive origins are ``step`` months apart.
    Columns: ``timeframe, fcst_origin, horizon, first_target, last_target``.
    """
    if n_origins < 1 or n_origins > 26:
        raise ValueError(f"n_origins must be in 1..26, got {n_origins}")
    if horizon < lagdef.MAX_LAG + 1:
        raise ValueError(f"horizon must be >= {lagdef.MAX_LAG + 1} so that lags 0..{lagdef.MAX_LAG} exist")
    if step < 1:
        raise ValueError("step must be >= 1")
    last = to_date(month_start(last_month))
    newest = lagdef.add_months(last, -horizon)
    rows = []
    for i in range(n_origins):
        o = lagdef.add_months(newest, -step * (n_origins - 1 - i))
        rows.append({"timeframe": string.ascii_uppercase[i], "fcst_origin": pd.Timestamp(o),
                     "horizon": horizon,
                     "first_target": pd.Timestamp(lagdef.target_month(o, 0)),
                     "last_target": pd.Timestamp(lagdef.target_month(o, horizon - 1))})
    return pd.DataFrame(rows)


def _origins_frame(origins, horizon: int | None) -> pd.DataFrame:
    if isinstance(origins, pd.DataFrame):
        df = origins.copy()
        if "fcst_origin" not in df.columns:
            raise ValueError("origins frame needs a fcst_origin column (see make_origins)")
    elif isinstance(origins, Mapping):
        df = pd.DataFrame({"timeframe": list(origins.keys()), "fcst_origin": list(origins.values())})
    else:
        vals = list(origins)
        df = pd.DataFrame({"timeframe": list(string.ascii_uppercase[: len(vals)]), "fcst_origin": vals})
    if "timeframe" not in df.columns:
        df["timeframe"] = list(string.ascii_uppercase[: len(df)])
    df["fcst_origin"] = [month_start(o) for o in df["fcst_origin"]]
    if horizon is not None:
        df["horizon"] = horizon
    elif "horizon" not in df.columns:
        df["horizon"] = lagdef.MAX_LAG + 1
    if df["timeframe"].duplicated().any() or df["fcst_origin"].duplicated().any():
        raise ValueError("origins must have distinct timeframes and months")
    return df.reset_index(drop=True)


def _clusters_at(clusters, hist: pd.DataFrame, origin: pd.Timestamp, ids: np.ndarray, seed: int,
                 season_length: int) -> np.ndarray:
    if clusters is None:
        a = cluster_assignments(hist, origin, seed=seed, season_length=season_length)
    elif isinstance(clusters, Mapping):
        a = clusters[origin] if origin in clusters else clusters[to_date(origin)]
    else:
        a = clusters
        if "fcst_origin" in a.columns:
            a = a.loc[pd.to_datetime(a["fcst_origin"]) == origin]
    m = pd.Series(a["cluster_id"].to_numpy(), index=a["unique_id"].astype(str).to_numpy())
    m = m[~m.index.duplicated()]
    cid = m.reindex(ids)
    if cid.isna().any():
        missing = list(cid.index[cid.isna()][:5])
        raise ValueError(f"no cluster assignment at origin {origin.date()} for DFUs {missing} ...")
    return cid.to_numpy(dtype=int)


def _specs(models: Iterable[ModelSpec | str] | None) -> list[ModelSpec]:
    """``models`` if all are ModelSpecs, else the registered specs of the ids (None = DEFAULT_MODELS).

    ``models`` is read once, so a generator gives the same result as a list (it used to be consumed by the
    type check and then resolved as empty: no forecasts and no error)."""
    if models is None:
        return resolve_models(None)
    requested = list(models)
    specs = [m for m in requested if isinstance(m, ModelSpec)]
    return specs if len(specs) == len(requested) else resolve_models(requested)


def forecast_at(history: pd.DataFrame, origin, horizon: int, models: Iterable[ModelSpec | str],
                statics: pd.DataFrame | None = None, clusters=None, seed: int = 0, season_length: int = 12,
                ml_params: dict | None = None, nonnegative: bool = True, normalised: bool = False,
                timings: dict | None = None, external: pd.DataFrame | None = None,
                promo_plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Forecasts of every model at one origin; columns :data:`FORECAST_COLUMNS`. Uses rows <= origin only.

    ``external``: the legacy forecast (``unique_id, [fcst_origin,] target_month, lag, fcst_qty``); only rows
    made at or before the origin are read (:func:`lakecast.forecast.legacy.legacy_cube`). ``promo_plan``: the
    DFU-level promotion plan (:func:`lakecast.forecast.promo.dfu_plan`); only versions published by the origin
    month's end are read (:func:`lakecast.forecast.promo.plan_cube`)."""
    hist = history if normalised else normalise_history(history)
    origin = month_start(origin)
    hist = hist.loc[hist["ds"] <= origin]  # nothing after the origin goes any further
    specs = _specs(models)
    panel = build_panel(hist, origin, normalised=True)
    codes, names, is_cat = static_codes(statics_asof(statics, origin), panel.ids)
    cid = _clusters_at(clusters, hist, origin, panel.ids, seed, season_length)
    ctx = ForecastContext(horizon=horizon, season_length=season_length, seed=seed, clusters=cid,
                          statics=codes, static_names=names, static_is_cat=is_cat, nonnegative=nonnegative,
                          ml_params=dict(ml_params or {}),
                          legacy=legacy_cube(external, panel.ids, panel.months),
                          promo_plan=plan_cube(promo_plan, panel.ids, panel.months, max(horizon, lagdef.MAX_LAG + 1)))
    n = panel.n_series
    targets = np.array([pd.Timestamp(lagdef.target_month(to_date(origin), k)) for k in range(horizon)],
                       dtype="datetime64[ns]")
    parts = []
    for spec in specs:
        t0 = time.perf_counter()
        arr = np.asarray(spec.fn(panel, ctx), dtype=float)
        if timings is not None:
            timings[spec.model_id] = timings.get(spec.model_id, 0.0) + time.perf_counter() - t0
        if arr.shape != (n, horizon):
            raise RuntimeError(f"model {spec.model_id} returned shape {arr.shape}, expected {(n, horizon)}")
        check_finite(spec.model_id, arr, panel.ids, origin)
        parts.append(pd.DataFrame({
            "unique_id": np.repeat(panel.ids, horizon),
            "fcst_origin": origin,
            "target_month": np.tile(targets, n),
            "lag": np.tile(np.arange(horizon), n),
            "model_id": spec.model_id,
            "fcst_qty": arr.ravel(),
            "cluster_id": np.repeat(cid, horizon),
        }))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FORECAST_COLUMNS)
    return out[FORECAST_COLUMNS]


class NonFiniteForecast(ValueError):
    """A model produced NaN or infinite forecasts: never silently replaced, never written to a table."""


def check_finite(model_id: str, arr: np.ndarray, ids: np.ndarray, origin) -> None:
    """Raise :class:`NonFiniteForecast` naming the model, origin and (up to 10) DFUs with NaN/inf values."""
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        names = ", ".join(map(str, ids[bad][:10]))
        raise NonFiniteForecast(f"model {model_id} returned non-finite forecasts at origin "
                                f"{pd.Timestamp(origin).date()} for {int(bad.sum())} DFU(s): {names}")


def feature_importance_at(history: pd.DataFrame, origin, lib: str, statics: pd.DataFrame | None = None,
                          clusters=None, seed: int = 0, season_length: int = 12, ml_params: dict | None = None,
                          h: int = 1, external: pd.DataFrame | None = None,
                          promo_plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Gain importance of the global ``lib`` model (lgbm | xgb | catboost) at ``origin`` for horizon ``h``."""
    from lakecast.forecast.models.ml import global_feature_importance

    hist = normalise_history(history)
    origin = month_start(origin)
    hist = hist.loc[hist["ds"] <= origin]
    panel = build_panel(hist, origin, normalised=True)
    codes, names, is_cat = static_codes(statics_asof(statics, origin), panel.ids)
    cid = _clusters_at(clusters, hist, origin, panel.ids, seed, season_length)
    ctx = ForecastContext(horizon=h, season_length=season_length, seed=seed, clusters=cid, statics=codes,
                          static_names=names, static_is_cat=is_cat, ml_params=dict(ml_params or {}),
                          legacy=legacy_cube(None if external is None else normalise_external(external),
                                             panel.ids, panel.months),
                          promo_plan=plan_cube(promo_plan, panel.ids, panel.months, lagdef.MAX_LAG + 1))
    return global_feature_importance(lib, panel, ctx, h)


def backtest_frame(history: pd.DataFrame, origins, models: Iterable[ModelSpec | str] | None = None,
                   statics: pd.DataFrame | None = None, seed: int = 0, clusters=None, horizon: int | None = None,
                   season_length: int = 12, ml_params: dict | None = None, nonnegative: bool = True,
                   external: pd.DataFrame | None = None, promo_plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Backtest ``models`` (ids or ModelSpecs; None = DEFAULT_MODELS) at every origin.

    ``origins``: a frame from :func:`make_origins`, a list of months (labelled A, B, ...) or {label: month}.
    ``clusters``: None -> computed per origin from ``history`` (over the DFUs given); otherwise the
    assignments computed once per origin over ALL DFUs (a frame with fcst_origin, unique_id, cluster_id, or
    {origin: frame}) -- use this when calling on a subset of DFUs (a Spark group).
    Returns long rows :data:`BACKTEST_COLUMNS`; ``y`` is the actual of the target month (0 for a month
    inside a series' span without a row, NaN after the last month of the history). Per-model seconds are in
    ``result.attrs["model_seconds"]``.
    """
    hist = normalise_history(history)
    ors = _origins_frame(origins, horizon)
    specs = _specs(models)
    timings: dict[str, float] = {}
    ext = None if external is None else normalise_external(external)
    parts = []
    for row in ors.itertuples(index=False):
        f = forecast_at(hist, row.fcst_origin, int(row.horizon), specs, statics=statics, clusters=clusters,
                        seed=seed, season_length=season_length, ml_params=ml_params, nonnegative=nonnegative,
                        normalised=True, timings=timings, external=ext, promo_plan=promo_plan)
        f.insert(2, "timeframe", row.timeframe)
        parts.append(f)
    out = pd.concat(parts, ignore_index=True)
    act = actuals_lookup(hist, normalised=True).rename(columns={"ds": "target_month"})
    out = out.merge(act, on=["unique_id", "target_month"], how="left")[BACKTEST_COLUMNS]
    out["lag"] = out["lag"].astype(int)
    out["cluster_id"] = out["cluster_id"].astype(int)
    out.attrs["model_seconds"] = timings
    return out


def forecast_frame(history: pd.DataFrame, origin=None, horizon: int = lagdef.MAX_LAG + 1, model_ids=None,
                   statics: pd.DataFrame | None = None, clusters=None, seed: int = 0, season_length: int = 12,
                   ml_params: dict | None = None, nonnegative: bool = True,
                   external: pd.DataFrame | None = None, promo_plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Forward forecasts from ``origin`` (default: the last month of ``history``).

    Columns :data:`FORECAST_COLUMNS`."""
    hist = normalise_history(history)
    origin = hist["ds"].max() if origin is None else month_start(origin)
    return forecast_at(hist, origin, horizon, resolve_models(model_ids), statics=statics, clusters=clusters,
                       seed=seed, season_length=season_length, ml_params=ml_params, nonnegative=nonnegative,
                       normalised=True, external=None if external is None else normalise_external(external),
                       promo_plan=promo_plan)
