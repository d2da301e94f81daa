"""Gradient-boosted tree models (LightGBM, CatBoost, XGBoost) with direct multi-horizon forecasting.

Direct, not recursive: for each horizon h = 1..H one model is trained on pairs (features at anchor month t,
target y[t+h]) and applied to the features at the origin. The lag h-1 forecast is therefore a true
h-step-ahead forecast whose inputs all come from months <= origin; no model ever consumes its own
predictions, so errors do not compound and every lag is trained for its own distance.

Training pairs at an origin use anchors t with t + h <= origin (the target itself must be visible), at most
``train_window`` anchors per horizon (the most recent ones), from at most ``max_train_series`` series
(:func:`training_series`: all of them up to that number, else a fixed pseudo-random sample by a hash of the
series id, the same at every origin and run). Predictions are made for every series. The training cost of a
global model is then bounded, whatever the number of DFUs: at 100K DFUs x 36 anchors a horizon's design
matrix would hold 3.6M rows (about 0.9 GB at 30 float64 features), at the default 5,000 series 180K rows.

Features at anchor t (y features divided by the series scale s = mean |y| of the 12 months up to t, or 1):
  y lags 0,1,2,3,5,11; seasonal lag y[t+h-12] (y[t+h-24] when h > 12); rolling mean 3/6/12, rolling std 12,
  share of non-zero months in 12; log1p(s); series age; season position of the target month
  ((month index) mod season_length = month of year for monthly data); last known price, price relative to
  its 12-month mean, last known promo share and its 12-month mean (only when the history has them);
  cluster id; static attribute codes. The target is y[t+h] / s; forecasts are multiplied back by s.
Future exogenous values are NOT assumed: price/promo enter only as their last known values at the anchor
(planned promotions are not known to the model), identically in training and prediction -> no leakage.

Strategies:
  global      one model per horizon over all series in the panel;
  per_cluster one model per (cluster, horizon) trained on that cluster's series only; a cluster with fewer
              than ``min_rows`` training rows uses the global model;
  transfer    the global model per horizon is the base; per cluster it is trained further on the cluster's
              rows (LightGBM init_model, XGBoost xgb_model, CatBoost init_model) for ``transfer_rounds``.
Determinism: fixed seeds, one thread, LightGBM deterministic/force_row_wise.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pandas as pd

from lakecast.forecast.legacy import BiasStats, cached, lag_error_weights, target_aligned, vintage_mean
from lakecast.forecast.models.base import ForecastContext, ModelSpec
from lakecast.forecast.panel import Panel, month_index

DEFAULT_PARAMS = {
    "rounds": 150,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "max_depth": 6,
    "min_child": 20,
    "train_window": 36,
    "min_rows": 200,
    "transfer_rounds": 50,
    "transfer_learning_rate": 0.05,
    "objective": "l2",  # l2 | tweedie (LightGBM/XGBoost: for intermittent, zero-inflated targets)
    "tweedie_variance_power": 1.3,
    "sample_weight": "volume",  # volume | none (see _weights)
    "max_train_series": 5000,  # series whose rows train a model (training_series); 0 = no limit
}
LAGS = (0, 1, 2, 3, 5, 11)


def _params(ctx: ForecastContext, overrides: dict | None = None) -> dict:
    unknown = set(ctx.ml_params) - set(DEFAULT_PARAMS)
    if unknown:
        raise ValueError(f"unknown ml_params {sorted(unknown)}; known: {sorted(DEFAULT_PARAMS)}")
    return {**DEFAULT_PARAMS, **ctx.ml_params, **(overrides or {})}


# ---------------------------------------------------------------- features
class _Prep:
    """Trailing-window sums for O(1) rolling statistics at any anchor."""

    def __init__(self, panel: Panel):
        y = panel.y
        self.obs = ~np.isnan(y)
        z = np.nan_to_num(y)
        pad = lambda a: np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)  # noqa: E731
        self.c_sum, self.c_sq = pad(z), pad(z * z)
        self.c_abs, self.c_n = pad(np.abs(z)), pad(self.obs.astype(float))
        self.c_nz = pad((z != 0).astype(float))
        pr = panel.price
        self.c_p, self.c_pn = pad(np.nan_to_num(pr)), pad((~np.isnan(pr)).astype(float))
        self.c_promo = pad(panel.promo)

    @staticmethod
    def win(c: np.ndarray, t: int, w: int) -> np.ndarray:
        return c[:, t + 1] - c[:, max(0, t + 1 - w)]


def _features_at(panel: Panel, prep: _Prep, ctx: ForecastContext, t: int, h: int):
    """Feature matrix (N, F) at anchor column t for horizon h, and the scale s (N,)."""
    y = panel.y
    with np.errstate(all="ignore"):
        n12 = prep.win(prep.c_n, t, 12)
        s = prep.win(prep.c_abs, t, 12) / n12
        s_all = prep.c_abs[:, t + 1] / np.maximum(prep.c_n[:, t + 1], 1)
        s = np.where(np.isfinite(s) & (s > 0), s, np.where(s_all > 0, s_all, 1.0))
        cols, names = [], []
        for j in LAGS:
            cols.append(y[:, t - j] / s if t - j >= 0 else np.full(len(s), np.nan))
            names.append(f"y_lag{j}")
        back = 12 if h <= 12 else 24
        ts = t + h - back
        cols.append(y[:, ts] / s if 0 <= ts <= t else np.full(len(s), np.nan))
        names.append("y_same_month_last_year")
        for w in (3, 6, 12):
            n = prep.win(prep.c_n, t, w)
            cols.append(np.where(n > 0, prep.win(prep.c_sum, t, w) / np.maximum(n, 1), np.nan) / s)
            names.append(f"roll_mean_{w}")
        m12 = prep.win(prep.c_sum, t, 12) / np.maximum(n12, 1)
        var12 = prep.win(prep.c_sq, t, 12) / np.maximum(n12, 1) - m12**2
        cols += [np.sqrt(np.maximum(var12, 0)) / s, prep.win(prep.c_nz, t, 12) / np.maximum(n12, 1),
                 np.log1p(s), np.minimum(t - panel.first_idx + 1, 60).astype(float)]
        names += ["roll_std_12", "nonzero_share_12", "log_scale", "age"]
        season = (month_index(panel.months[0])[0] + t + h) % max(ctx.season_length, 1)
        cols.append(np.full(len(s), float(season)))
        names.append("season_pos")
        if panel.has_price:
            pm = prep.win(prep.c_p, t, 12) / prep.win(prep.c_pn, t, 12)
            cols += [panel.price[:, t], panel.price[:, t] / pm]
            names += ["price_last", "price_rel_12"]
        if panel.has_promo:
            cols += [panel.promo[:, t], prep.win(prep.c_promo, t, 12) / np.maximum(n12, 1)]
            names += ["promo_last", "promo_mean_12"]
        if ctx.legacy is not None:
            # known at the anchor: the legacy forecast made then for this horizon, every earlier legacy forecast
            # of the same target (vintages, inverse-MSE weighted), the DFU's bias at this lag learnt from
            # legacy errors with target <= anchor, and the legacy's ratio to the recent actuals
            k = h - 1
            n_lags = ctx.legacy.shape[2]
            if k < n_lags:
                leg = ctx.legacy[:, t, k]
                ratio = cached(ctx.cache, ("legacy_bias", k), lambda: BiasStats(y, ctx.legacy, lags=(k,))).ratio(t)
                ta = cached(ctx.cache, "legacy_target_aligned", lambda: target_aligned(ctx.legacy))
                w = cached(ctx.cache, ("legacy_lag_weights", t), lambda: lag_error_weights(y, ctx.legacy, t, ta=ta))
                vint = vintage_mean(ctx.legacy, w, t, k)
            else:
                leg = ratio = vint = np.full(len(s), np.nan)
            mean3 = prep.win(prep.c_sum, t, 3) / np.maximum(prep.win(prep.c_n, t, 3), 1)
            cols += [leg / s, leg * ratio / s, ratio, vint * ratio / s, np.where(mean3 > 0, leg / mean3, np.nan)]
            names += ["legacy", "legacy_debiased", "legacy_bias_ratio", "legacy_vintages", "legacy_vs_recent_3"]
    if ctx.promo_plan is not None:
        # the discount planned (as the plan stood at the anchor) for the target month and the month before it
        # (promotions lift the month and dip the next)
        k = h - 1
        hp = ctx.promo_plan.shape[2]
        cols += [ctx.promo_plan[:, t, k] if k < hp else np.zeros(len(s)),
                 ctx.promo_plan[:, t, k - 1] if 0 < k <= hp else (panel.promo[:, t] if k == 0 else np.zeros(len(s)))]
        names += ["plan_discount", "plan_discount_prev_month"]
    cat_names = []
    if ctx.clusters is not None:
        cols.append(ctx.clusters.astype(float))
        names.append("cluster_id")
        cat_names.append("cluster_id")
    if ctx.statics is not None and ctx.statics.shape[1]:
        for j, (nm, is_cat) in enumerate(zip(ctx.static_names, ctx.static_is_cat, strict=True)):
            cols.append(ctx.statics[:, j])
            names.append(nm)
            if is_cat:
                cat_names.append(nm)
    x = np.column_stack(cols).astype(float)
    x[~np.isfinite(x) & ~np.isnan(x)] = np.nan
    return x, s, names, cat_names


def training_series(ids: np.ndarray, max_series: int) -> np.ndarray:
    """Boolean mask of the series whose rows train the models: every series when there are at most
    ``max_series`` (or ``max_series`` is 0), else the ``max_series`` ids with the smallest crc32 of their UTF-8
    bytes (ties by id). The choice depends on the ids alone -- never on the data, so it cannot leak, and a
    series is in or out at every origin alike; a uniform sample keeps each segment's share of the rows."""
    n = len(ids)
    if max_series < 0:
        raise ValueError(f"max_train_series must be >= 0, got {max_series}")
    if not max_series or n <= max_series:
        return np.ones(n, dtype=bool)
    keys = np.fromiter((zlib.crc32(str(i).encode()) for i in ids), dtype=np.int64, count=n)
    order = np.lexsort((np.asarray(ids, dtype=str), keys))
    keep = np.zeros(n, dtype=bool)
    keep[order[:max_series]] = True
    return keep


def design(panel: Panel, ctx: ForecastContext, h: int) -> dict:
    """Training rows and the prediction row set for horizon h (cached per origin)."""
    key = ("design", h)
    if key in ctx.cache:
        return ctx.cache[key]
    p = _params(ctx)
    prep = cached(ctx.cache, "prep", lambda: _Prep(panel))
    n_t = panel.y.shape[1]
    last_anchor = n_t - 1 - h
    train = cached(ctx.cache, ("training_series", p["max_train_series"]),
                   lambda: training_series(panel.ids, p["max_train_series"]))
    xs, ys, gs, ws = [], [], [], []
    for t in range(max(0, last_anchor - p["train_window"] + 1), last_anchor + 1):
        x, s, names, cats = _features_at(panel, prep, ctx, t, h)
        ok = prep.obs[:, t] & prep.obs[:, t + h] & train
        xs.append(x[ok])
        ys.append(panel.y[ok, t + h] / s[ok])
        gs.append(np.nonzero(ok)[0])
        ws.append(s[ok])
    xp, sp, names, cats = _features_at(panel, prep, ctx, n_t - 1, h)
    out = {
        "X": np.vstack(xs) if xs else np.zeros((0, xp.shape[1])),
        "y": np.concatenate(ys) if ys else np.zeros(0),
        "rows": np.concatenate(gs) if gs else np.zeros(0, dtype=int),
        "scale": np.concatenate(ws) if ws else np.zeros(0),
        "Xp": xp, "sp": sp, "names": names, "cat_idx": [names.index(c) for c in cats],
    }
    ctx.cache[key] = out
    return out


# ---------------------------------------------------------------- libraries
def _weights(scale, p):
    """Sample weights: ``volume`` weighs each training row by its series scale (so the loss on scaled
    targets matches a volume-weighted error such as WAPE); ``none`` weighs every row alike."""
    if p["sample_weight"] == "none" or scale is None or not len(scale):
        return None
    if p["sample_weight"] != "volume":
        raise ValueError(f"sample_weight must be 'volume' or 'none', got {p['sample_weight']!r}")
    return scale / scale.mean()


def _fit_lgbm(x, y, names, cat_idx, p, seed, init=None, rounds=None, lr=None, weight=None):
    import lightgbm as lgb

    params = {"objective": p["objective"], "learning_rate": lr or p["learning_rate"], "num_leaves": p["num_leaves"],
              "min_data_in_leaf": p["min_child"], "seed": seed, "deterministic": True,
              "force_row_wise": True, "num_threads": 1, "verbose": -1, "min_data_per_group": 5,
              "cat_smooth": 10.0}
    if p["objective"] == "tweedie":
        params["tweedie_variance_power"] = p["tweedie_variance_power"]
    ds = lgb.Dataset(x, y, weight=weight, feature_name=names, categorical_feature=cat_idx or "auto",
                     free_raw_data=False)
    return lgb.train(params, ds, num_boost_round=rounds or p["rounds"], init_model=init)


def _pred_lgbm(m, x, names):
    return m.predict(x)


def _fit_xgb(x, y, names, cat_idx, p, seed, init=None, rounds=None, lr=None, weight=None):
    import xgboost as xgb

    objective = "reg:tweedie" if p["objective"] == "tweedie" else "reg:squarederror"
    params = {"objective": objective, "eta": lr or p["learning_rate"], "max_depth": p["max_depth"],
              "min_child_weight": p["min_child"], "nthread": 1, "seed": seed, "tree_method": "hist",
              "max_cat_to_onehot": 1}
    if objective == "reg:tweedie":
        params["tweedie_variance_power"] = p["tweedie_variance_power"]
    dm = _xgb_matrix(x, names, cat_idx, label=y)
    if weight is not None:
        dm.set_weight(weight)
    return xgb.train(params, dm, rounds or p["rounds"], xgb_model=init)


def _xgb_matrix(x, names, cat_idx, label=None):
    """DMatrix with native categorical features (codes >= 0; unknown -1 -> missing)."""
    import xgboost as xgb

    x = np.array(x, dtype=float, copy=True)
    types = ["q"] * len(names)
    for j in cat_idx:
        types[j] = "c"
        x[:, j] = np.where(x[:, j] >= 0, x[:, j], np.nan)
    return xgb.DMatrix(x, label=label, feature_names=names, feature_types=types, enable_categorical=True)


def _pred_xgb(m, x, names):
    cat_idx = [j for j, t in enumerate(m.feature_types or []) if t == "c"]
    return m.predict(_xgb_matrix(x, names, cat_idx))


def _cb_frame(x, names, cat_idx):
    df = pd.DataFrame(x, columns=names)
    for j in cat_idx:
        df[names[j]] = np.nan_to_num(df[names[j]], nan=-1).astype(np.int64)
    return df


def _fit_catboost(x, y, names, cat_idx, p, seed, init=None, rounds=None, lr=None, weight=None):
    from catboost import CatBoostRegressor, Pool

    m = CatBoostRegressor(iterations=rounds or p["rounds"], learning_rate=lr or p["learning_rate"],
                          depth=p["max_depth"], random_seed=seed, thread_count=1, verbose=False,
                          allow_writing_files=False, loss_function="RMSE")
    m.fit(Pool(_cb_frame(x, names, cat_idx), y, cat_features=cat_idx, weight=weight), init_model=init)
    return m


def _pred_catboost(m, x, names):
    from catboost import Pool

    cat_idx = list(m.get_cat_feature_indices())
    return m.predict(Pool(_cb_frame(x, names, cat_idx), cat_features=cat_idx))


LIBS = {
    "lgbm": (_fit_lgbm, _pred_lgbm, "LightGBM"),
    "catboost": (_fit_catboost, _pred_catboost, "CatBoost"),
    "xgb": (_fit_xgb, _pred_xgb, "XGBoost"),
}


# ---------------------------------------------------------------- strategies
def _global_model(lib: str, d: dict, p: dict, ctx: ForecastContext, h: int):
    key = ("global", lib, p["objective"], p["sample_weight"], h)
    if key not in ctx.cache:
        fit = LIBS[lib][0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx.cache[key] = fit(d["X"], d["y"], d["names"], d["cat_idx"], p, ctx.seed,
                                 weight=_weights(d["scale"], p))
    return ctx.cache[key]


def _run(lib: str, strategy: str, panel: Panel, ctx: ForecastContext, overrides: dict | None = None) -> np.ndarray:
    p = _params(ctx, overrides)
    fit, pred, _ = LIBS[lib]
    n = panel.n_series
    out: np.ndarray = np.zeros((n, ctx.horizon))
    clusters = ctx.clusters if ctx.clusters is not None else np.zeros(n, dtype=int)
    for h in range(1, ctx.horizon + 1):
        d = design(panel, ctx, h)
        names = d["names"]
        if len(d["y"]) < 2:  # nothing to learn from: repeat the scale (recent level)
            out[:, h - 1] = d["sp"]
            continue
        res = np.full(n, np.nan)
        if strategy == "global":
            res = pred(_global_model(lib, d, p, ctx, h), d["Xp"], names)
        else:
            tr_cluster = clusters[d["rows"]]
            for c in np.unique(clusters):
                target = clusters == c
                rows = tr_cluster == c
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if strategy == "per_cluster" and rows.sum() >= p["min_rows"]:
                        m = fit(d["X"][rows], d["y"][rows], names, d["cat_idx"], p, ctx.seed,
                                weight=_weights(d["scale"][rows], p))
                    elif strategy == "transfer" and rows.sum() >= max(p["min_child"], 2):
                        m = fit(d["X"][rows], d["y"][rows], names, d["cat_idx"], p, ctx.seed,
                                weight=_weights(d["scale"][rows], p), init=_global_model(lib, d, p, ctx, h),
                                rounds=p["transfer_rounds"], lr=p["transfer_learning_rate"])
                    else:
                        m = _global_model(lib, d, p, ctx, h)
                    res[target] = pred(m, d["Xp"][target], names)
        out[:, h - 1] = res * d["sp"]
    if ctx.nonnegative:
        out = np.maximum(out, 0.0)
    return out


def global_feature_importance(lib: str, panel: Panel, ctx: ForecastContext, h: int = 1) -> pd.DataFrame:
    """Gain importance of the ``global`` model for horizon ``h`` (share of total gain), for MLflow artifacts."""
    d = design(panel, ctx, h)
    if len(d["y"]) < 2:
        return pd.DataFrame({"feature": d["names"], "importance": 0.0})
    model = _global_model(lib, d, _params(ctx), ctx, h)
    if lib == "lgbm":
        gain = np.asarray(model.feature_importance(importance_type="gain"), dtype=float)
    elif lib == "xgb":
        scores = model.get_score(importance_type="gain")
        gain = np.array([scores.get(n, 0.0) for n in d["names"]], dtype=float)
    else:
        gain = np.asarray(model.get_feature_importance(), dtype=float)
    total = gain.sum()
    share = gain / total if total > 0 else gain
    out = pd.DataFrame({"feature": d["names"], "importance": share})
    return out.sort_values(["importance", "feature"], ascending=[False, True]).reset_index(drop=True)


def ml_specs() -> dict[str, ModelSpec]:
    specs: dict[str, ModelSpec] = {}
    for lib, (_, _, label) in LIBS.items():
        for strategy in ("global", "per_cluster", "transfer"):
            mid = f"{lib}_{strategy}"

            def fn(panel: Panel, ctx: ForecastContext, lib: str = lib,
                   strategy: str = strategy) -> np.ndarray:
                return _run(lib, strategy, panel, ctx)

            specs[mid] = ModelSpec(mid, lib, strategy, fn, f"{label}, direct multi-horizon, {strategy}",
                                   needs_clusters=strategy != "global")
    for lib in ("lgbm", "xgb"):
        mid = f"{lib}_tweedie_global"

        def tweedie_fn(panel: Panel, ctx: ForecastContext, lib: str = lib) -> np.ndarray:
            return _run(lib, "global", panel, ctx, {"objective": "tweedie"})

        specs[mid] = ModelSpec(mid, lib, "global", tweedie_fn,
                               f"{LIBS[lib][2]}, Tweedie objective (intermittent), global")
    return specs
