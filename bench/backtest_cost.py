"""Backtest cost: the platform's Spark backtest beside a bare statsforecast + LightGBM script, same work.

One run, one machine, one data set (``lakecast.generate``, default ``--scale small --seed 42``):

1. Data: generate the landing files and run the pipeline jobs bronze, silver and gold once, unless the gold
   tables are already there (``--data-dir`` of an earlier run). Not timed.
2. A local Spark session from Settings (``local[*]``) with the catalog ``bench``; the forecast job's inputs
   (``spark_jobs.forecast.load_inputs``), origins A..J (``make_origins``) plus the forward origin, and the
   clusters per origin are prepared as the job does. Not timed.
3. **Platform, models only**: ``spark_jobs.forecast.run_models(...)``: every model at the 10 backtest origins
   (horizon 5) and at the forward origin (``forward_horizon``), through ``applyInPandas`` tasks.
4. **Bare**: what a data scientist would write against the same history frame: fill gap months with 0,
   and per origin cut the history, one ``StatsForecast(models=[...], freq="MS", n_jobs=2).forecast(...)``
   call for every statistical model, and LightGBM trained directly per horizon on a simple lag-feature
   matrix with the platform's rounds/params (origins spread over 2 joblib processes, one thread each).
   Same series, models, origins, horizons, 2 cores.
5. **Check**: per statistical model the mean abs difference between the two sides' forecasts (they should be
   ~0: both call statsforecast), and for LightGBM the accuracy of each side (different features, so different
   numbers, same ballpark).
6. **Platform, end to end** (``--end-to-end``, default on): ``spark_jobs.forecast.run`` -- inputs, clusters,
   models, competition, gates, publish, MLflow -- with its own step timings.

Wall seconds and CPU seconds (utime+stime of this process and all its descendants: the JVM, PySpark's Python
workers, statsforecast's pool) are reported; the CPU figure is the one to trust on a shared machine.

    uv run python bench/backtest_cost.py --scale tiny              # a quick check (~2 min)
    uv run python bench/backtest_cost.py                           # small: 2,000 DFUs x 60 months
    uv run python bench/backtest_cost.py --data-dir /tmp/lakecast-bcost-small --keep
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast import models as sfm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import machine, versions

RESULTS = Path(__file__).resolve().parent / "results"
CORES = 2  # both sides get the same 2 cores (this machine has 2)
LGBM_PARAMS = {"rounds": 150, "learning_rate": 0.05, "num_leaves": 31, "min_child": 20, "train_window": 36}


# ---------------------------------------------------------------- measurement
def _tree_snapshot(root: int) -> dict[tuple[int, int], float]:
    """{(pid, start tick): own utime+stime seconds} of ``root`` and every descendant alive now."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[tuple[int, int], float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            out[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):  # the task ended meanwhile
                    todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


class Timer:
    """Wall seconds and CPU seconds of this process and all its descendants over a block.

    A thread samples every process of the tree (its own utime+stime, not its children's) every 0.2 s, so the
    CPU of processes that start and end inside the block counts too (PySpark's daemon does not collect its
    workers' CPU into its own, so summing cutime would lose it). Processes shorter than one sampling period
    can be missed.
    """

    def __init__(self, period: float = 0.2):
        self.period = period

    def _poll(self) -> None:
        while not self._stop.wait(self.period):
            self._last.update(_tree_snapshot(os.getpid()))

    def __enter__(self) -> Timer:
        import threading

        self._first = _tree_snapshot(os.getpid())
        self._last = dict(self._first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self._last.update(_tree_snapshot(os.getpid()))
        self.cpu = sum(v - self._first.get(k, 0.0) for k, v in self._last.items())


# ---------------------------------------------------------------- data and Spark
def gold_ready(spark, settings) -> bool:
    cat = settings.catalog.name
    try:
        return spark.table(f"{cat}.gold.fact_sales_monthly").limit(1).count() == 1
    except Exception:  # table or namespace missing
        return False


def prepare_data(settings, scale: str, seed: int, log: Callable[[str], None]) -> dict:
    """Generate landing data if absent, start Spark, run bronze/silver/gold if gold is missing."""
    from lakecast.generate import generate
    from lakecast.runtime.spark import get_spark
    from spark_jobs.registry import get_job

    facts: dict = {}
    manifest = settings.landing_dir / "_manifest.json"
    if not manifest.exists():
        with Timer() as t:
            generate(settings.landing_dir, scale=scale, seed=seed)
        log(f"generated {scale} (seed {seed}) in {t.wall:.1f}s")
        facts["generate_seconds"] = round(t.wall, 1)
    facts["data_manifest"] = {k: v for k, v in json.loads(manifest.read_text()).items() if k != "sources"}
    t0 = time.perf_counter()
    spark = get_spark(settings)
    spark.range(1000).selectExpr("sum(id)").collect()
    facts["spark_startup_seconds"] = round(time.perf_counter() - t0, 1)
    if not gold_ready(spark, settings):
        for job in ("bronze", "silver", "gold"):
            with Timer() as t:
                get_job(job).load()(spark, settings)
            log(f"pipeline job {job}: {t.wall:.1f}s")
            facts[f"pipeline_{job}_seconds"] = round(t.wall, 1)
    return {"spark": spark, "facts": facts}


def platform_setup(spark, settings) -> dict:
    """What ``spark_jobs.forecast.run`` does before ``run_models``: inputs, origins, clusters per origin."""
    from lakecast.forecast.backtest import make_origins
    from lakecast.forecast.clustering import cluster_dfus
    from spark_jobs import forecast as fjob

    fc = settings.forecast
    inputs = fjob.load_inputs(spark, settings)
    fwd = pd.Timestamp(inputs["history"]["ds"].max()).to_period("M").to_timestamp()
    origins = make_origins(fwd, n_origins=fc.n_origins, horizon=fc.horizon)
    clusters = pd.concat([cluster_dfus(inputs["history"], o, seed=fc.seed, season_length=fc.season_length)
                          .assignments for o in [*origins["fcst_origin"], fwd]], ignore_index=True)
    clusters["fcst_origin"] = pd.to_datetime(clusters["fcst_origin"])
    return {"inputs": inputs, "origins": origins, "forward_origin": fwd, "clusters": clusters}


def run_platform(spark, settings, setup: dict, model_ids: list[str]) -> pd.DataFrame:
    from spark_jobs import forecast as fjob

    return fjob.run_models(spark, settings, setup["inputs"], setup["origins"], setup["forward_origin"],
                           setup["clusters"], model_ids)


# ---------------------------------------------------------------- the bare script
STAT_CLASSES = {
    "seasonal_naive": lambda m: sfm.SeasonalNaive(season_length=m),
    "theta": lambda m: sfm.Theta(season_length=m),
    "optimized_theta": lambda m: sfm.OptimizedTheta(season_length=m),
    "dynamic_optimized_theta": lambda m: sfm.DynamicOptimizedTheta(season_length=m),
    "auto_ets": lambda m: sfm.AutoETS(season_length=m),
    "auto_arima": lambda m: sfm.AutoARIMA(season_length=m),
    "croston_optimized": lambda m: sfm.CrostonOptimized(),
    "tsb": lambda m: sfm.TSB(alpha_d=0.1, alpha_p=0.1),
    "adida": lambda m: sfm.ADIDA(),
}


def bare_stat(df: pd.DataFrame, origin: pd.Timestamp, h: int, model_ids: list[str], season: int) -> pd.DataFrame:
    """statsforecast at one origin, all models in one call; long rows (unique_id, ds, model_id, fcst)."""
    train = df[df["ds"] <= origin]
    n_obs = train.groupby("unique_id")["y"].transform("size")
    train = train[n_obs >= 3]  # the models need a few points; shorter series are left out
    models = [STAT_CLASSES[m](season) for m in model_ids]
    sf = StatsForecast(models=models, freq="MS", n_jobs=CORES, fallback_model=sfm.Naive())
    fc = sf.forecast(df=train, h=h)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc = fc.set_axis(["unique_id", "ds", *model_ids], axis=1)  # one column per model, in order
    long = fc.melt(id_vars=["unique_id", "ds"], var_name="model_id", value_name="fcst")
    long["fcst"] = long["fcst"].clip(lower=0)
    return long


def bare_lgbm(wide: pd.DataFrame, origin: pd.Timestamp, h_max: int, params: dict) -> pd.DataFrame:
    """LightGBM, one model per horizon on lag features of the wide (series x month) matrix, at one origin."""
    import lightgbm as lgb

    y = wide.loc[:, wide.columns <= origin].to_numpy()
    months = wide.columns[wide.columns <= origin]
    n, t_end = y.shape

    def feats(t: int, h: int) -> tuple[np.ndarray, np.ndarray]:
        lo = max(0, t - 11)
        win = y[:, lo:t + 1]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scale = np.nanmean(np.abs(win), axis=1)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        lags = np.column_stack([y[:, t - j] if t - j >= 0 else np.full(n, np.nan) for j in range(12)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m3, m12 = np.nanmean(y[:, max(0, t - 2):t + 1], axis=1), np.nanmean(win, axis=1)
        month = np.full(n, float((months[0].month - 1 + t + h) % 12))
        x = np.column_stack([lags / scale[:, None], m3 / scale, m12 / scale, np.log1p(scale), month])
        return x, scale

    out = []
    for h in range(1, h_max + 1):
        xs, ys = [], []
        last = t_end - 1 - h
        for t in range(max(0, last - params["train_window"] + 1), last + 1):
            x, s = feats(t, h)
            ok = ~np.isnan(y[:, t]) & ~np.isnan(y[:, t + h])
            xs.append(x[ok])
            ys.append(y[ok, t + h] / s[ok])
        ds = lgb.Dataset(np.vstack(xs), np.concatenate(ys))
        booster = lgb.train({"objective": "l2", "learning_rate": params["learning_rate"],
                             "num_leaves": params["num_leaves"], "min_data_in_leaf": params["min_child"],
                             "num_threads": 1, "seed": 0, "verbose": -1}, ds, num_boost_round=params["rounds"])
        xp, sp = feats(t_end - 1, h)
        alive = ~np.isnan(y[:, -1])
        pred = np.maximum(booster.predict(xp) * sp, 0)
        out.append(pd.DataFrame({"unique_id": wide.index[alive], "ds": origin + pd.DateOffset(months=h),
                                 "model_id": "lgbm_global", "fcst": pred[alive]}))
    return pd.concat(out, ignore_index=True)


def run_bare(history: pd.DataFrame, runs: list[tuple[pd.Timestamp, int]], model_ids: list[str], season: int,
             params: dict) -> pd.DataFrame:
    """The bare script: gap fill once; per origin one statsforecast call (n_jobs=2) for all statistical models;
    LightGBM per origin in 2 joblib processes with one thread each (one multi-threaded LightGBM on such small
    matrices spends its time in thread barriers: 525 s instead of 38 s for the tiny data on this loaded
    machine)."""
    from joblib import Parallel, delayed
    from utilsforecast.preprocessing import fill_gaps

    df = history[["unique_id", "ds", "y"]].assign(ds=lambda d: pd.to_datetime(d["ds"]))
    df = fill_gaps(df, freq="MS", start="per_serie", end="global")
    df["y"] = df["y"].fillna(0.0)
    stat_ids = [m for m in model_ids if m in STAT_CLASSES]
    parts = []
    if stat_ids:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "shorter than season_length" for young series
            for origin, h in runs:
                parts.append(bare_stat(df, origin, h, stat_ids, season).assign(fcst_origin=origin))
    if "lgbm_global" in model_ids:
        wide = df.pivot(index="unique_id", columns="ds", values="y")
        fcs = Parallel(n_jobs=CORES)(delayed(bare_lgbm)(wide, o, h, params) for o, h in runs)
        parts += [f.assign(fcst_origin=o) for f, (o, _) in zip(fcs, runs, strict=True)]
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------- comparison
def compare(platform: pd.DataFrame, bare: pd.DataFrame, actuals: pd.DataFrame) -> dict:
    """Per model: rows matched, mean/max abs difference, share equal within 1e-6 (rel), and WAPE of each side
    on the backtest rows that have an actual."""
    p = platform.rename(columns={"target_month": "ds", "fcst_qty": "platform"})[
        ["unique_id", "fcst_origin", "ds", "model_id", "platform", "timeframe"]]
    b = bare.rename(columns={"fcst": "bare"})
    m = p.merge(b, on=["unique_id", "fcst_origin", "ds", "model_id"], how="outer", indicator=True)
    out = {}
    for mid, g in m.groupby("model_id"):
        both = g[(g["_merge"] == "both") & g["platform"].notna() & g["bare"].notna()]
        diff = (both["platform"] - both["bare"]).abs()
        scale = both["platform"].abs().mean()
        bt = both[both["timeframe"] != "forward"].merge(actuals, on=["unique_id", "ds"], how="inner")
        den = bt["y"].abs().sum()
        out[mid] = {
            "rows_platform": int(g["platform"].notna().sum()), "rows_bare": int(g["bare"].notna().sum()),
            "rows_compared": len(both),
            "mean_abs_diff": round(float(diff.mean()), 6) if len(both) else None,
            "max_abs_diff": round(float(diff.max()), 6) if len(both) else None,
            "mean_abs_diff_rel_to_mean_fcst": round(float(diff.mean() / scale), 6) if scale else None,
            "share_equal": round(float((diff <= 1e-6 * np.maximum(1, both["platform"].abs())).mean()), 4)
            if len(both) else None,
            "wape_platform": round(float((bt["platform"] - bt["y"]).abs().sum() / den), 4) if den else None,
            "wape_bare": round(float((bt["bare"] - bt["y"]).abs().sum() / den), 4) if den else None,
        }
    return out


def actuals_frame(history: pd.DataFrame) -> pd.DataFrame:
    from utilsforecast.preprocessing import fill_gaps

    a = history[["unique_id", "ds", "y"]].assign(ds=lambda d: pd.to_datetime(d["ds"]))
    a = fill_gaps(a, freq="MS", start="per_serie", end="global")
    a["y"] = a["y"].fillna(0.0)
    return a


# ---------------------------------------------------------------- where the platform's time goes
PROFILED = {  # label -> (module, qualified function name) whose cumulative time cProfile reports
    "statsforecast forecast calls": ("statsforecast/core.py", "forecast"),
    "LightGBM training": ("lakecast/forecast/models/ml.py", "_fit_lgbm"),
    "ML feature matrices (design)": ("lakecast/forecast/models/ml.py", "design"),
    "stat fallback level": ("lakecast/forecast/models/base.py", "fallback_level"),
    "panel -> long frame (to_long)": ("lakecast/forecast/panel.py", "to_long"),
    "build_panel": ("lakecast/forecast/panel.py", "build_panel"),
    "normalise_history": ("lakecast/forecast/panel.py", "normalise_history"),
    "actuals_lookup": ("lakecast/forecast/panel.py", "actuals_lookup"),
    "statics as of origin + codes": ("lakecast/forecast/panel.py", "statics_asof"),
    "static_codes": ("lakecast/forecast/panel.py", "static_codes"),
    "clusters at origin": ("lakecast/forecast/backtest.py", "_clusters_at"),
    "forecast_at (all of one origin)": ("lakecast/forecast/backtest.py", "forecast_at"),
    "backtest_frame": ("lakecast/forecast/backtest.py", "backtest_frame"),
    "forecast_frame": ("lakecast/forecast/backtest.py", "forecast_frame"),
    "group -> input frames (split_parts)": ("spark_jobs/forecast_tasks.py", "split_parts"),
}


def worker_import_seconds() -> dict:
    """CPU and wall seconds a fresh Python process needs to import what a forecast task unpickles."""
    import resource
    import subprocess

    code = "import spark_jobs.forecast_tasks, lakecast.forecast.models.stat, statsforecast, lightgbm"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall": round(wall, 2), "cpu": round(cpu, 2)}


def profile_platform(spark, settings, setup: dict, model_ids: list[str]) -> dict:
    """Run the forecast job's tasks serially in this process (no Spark): CPU per task kind, then once more
    under cProfile for a breakdown by function. Spark's share = run_models CPU - these task CPU seconds."""
    import cProfile
    import pstats

    from lakecast.forecast.models import MODELS
    from spark_jobs import forecast_tasks as ft

    stat_ids = [m for m in model_ids if MODELS[m].strategy == "local"]
    ml_ids = [m for m in model_ids if MODELS[m].strategy != "local"]
    n_buckets = settings.forecast.stat_buckets
    tasks = ft._tasks(list(setup["origins"]["timeframe"]), stat_ids, ml_ids, n_buckets)
    runner = ft.make_task_runner(tasks, setup["origins"], setup["forward_origin"], stat_ids, ml_ids, settings)
    inp = setup["inputs"]
    sources = ft.TaskInputs(*(ft.spark_frame(spark, part, frame) for part, frame in (
        ("history", inp["history"]), ("external", inp["external"]), ("statics", inp["statics"]),
        ("promo_plan", inp["promo_plan"]), ("clusters", setup["clusters"]))))
    # each task's group as the Spark job hands it to its worker (collected here to run the tasks serially)
    union: pd.DataFrame = ft.task_frame(spark, sources, tasks, setup["origins"], setup["forward_origin"],
                                        n_buckets).toPandas()
    frames = [g for _, g in union.groupby("task_id", sort=True)]
    tasks = [t for t in tasks if t[0] in set(union["task_id"])]
    by_kind: dict[str, float] = {}
    t_all = time.process_time()
    for t, pdf in zip(tasks, frames, strict=True):
        kind = f"{'stat' if t[2] >= 0 else 'ml'} {t[1]}"
        c0 = time.process_time()
        runner(pdf)
        by_kind[kind] = by_kind.get(kind, 0.0) + time.process_time() - c0
    serial_cpu = time.process_time() - t_all
    prof = cProfile.Profile()
    prof.enable()
    for pdf in frames:
        runner(pdf)
    prof.disable()
    # {(file, line, func): (cc, nc, tt, ct, callers)}; typeshed omits this (undocumented, stable) attribute
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    breakdown = {}
    for label, (path, func) in PROFILED.items():
        hits = [(v[1], v[3]) for (f, _, fn), v in stats.items() if f.endswith(path) and fn == func]
        if hits:
            breakdown[label] = {"calls": sum(h[0] for h in hits), "cum_seconds": round(sum(h[1] for h in hits), 2)}
    return {"tasks": len(tasks), "serial_task_cpu_seconds": round(serial_cpu, 2),
            "cpu_by_task_kind": {k: round(v, 2) for k, v in by_kind.items()},
            "cprofile_total_seconds": round(total, 2), "cprofile_cumulative": breakdown,
            "worker_import": worker_import_seconds()}


# ---------------------------------------------------------------- main
def default_models() -> list[str]:
    from lakecast.forecast.models import DEFAULT_MODELS, MODELS

    return [m for m in DEFAULT_MODELS if MODELS[m].family == "stat"] + ["lgbm_global"]


def check_params(settings) -> dict:
    """The bare LightGBM uses the platform's lgbm_global parameters (ml.DEFAULT_PARAMS + conf overrides)."""
    from lakecast.forecast.models.ml import DEFAULT_PARAMS

    p = {**DEFAULT_PARAMS, **settings.forecast.ml_params}
    for k, v in LGBM_PARAMS.items():
        if p[k] != v:
            LGBM_PARAMS[k] = p[k]
    return dict(LGBM_PARAMS)


def print_table(r: dict) -> None:
    print(f"\nBacktest cost: scale={r['scale']}  {r['data']['n_series']} series x {r['data']['n_months']} months, "
          f"{len(r['origins'])} backtest origins (h={r['horizon']}) + forward (h={r['forward_horizon']}); "
          f"models {', '.join(r['models'])}")
    print(f"{'side':44s} {'wall s':>9s} {'CPU s':>9s}")
    for name, t in r["timings"].items():
        print(f"{name:44s} {t['wall']:9.1f} {t['cpu']:9.1f}")
    print()
    for k, v in r["ratios"].items():
        print(f"{k}: {v}")
    print(f"\n{'model':20s} {'rows':>8s} {'mean|diff|':>11s} {'max|diff|':>10s} {'equal':>6s} "
          f"{'WAPE plat':>10s} {'WAPE bare':>10s}")
    for mid, c in r["agreement"].items():
        fmt = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731
        print(f"{mid:20s} {c['rows_compared']:8d} {fmt(c['mean_abs_diff'], '.4f'):>11s} "
              f"{fmt(c['max_abs_diff'], '.3f'):>10s} {fmt(c['share_equal'], '.3f'):>6s} "
              f"{fmt(c['wape_platform'], '.4f'):>10s} {fmt(c['wape_bare'], '.4f'):>10s}")
    if "end_to_end_steps" in r:
        print("\nend-to-end steps (s):", r["end_to_end_steps"])
    if "profile" in r:
        p = r["profile"]
        print(f"\nprofile: {p['tasks']} tasks, serial in-process task CPU {p['serial_task_cpu_seconds']} s "
              f"{p['cpu_by_task_kind']}; fresh worker import {p['worker_import']}")
        for label, v in sorted(p["cprofile_cumulative"].items(), key=lambda kv: -kv[1]["cum_seconds"]):
            print(f"  {label:36s} {v['cum_seconds']:8.2f} s cumulative, {v['calls']} calls")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="small", help="generator scale: tiny | small (default) | large")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="pipeline data dir to use or reuse (default: a temp dir, deleted afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dir")
    ap.add_argument("--models", default=None,
                    help="comma-separated model ids (default: the statistical models of DEFAULT_MODELS + "
                         "lgbm_global); bare side supports the statsforecast models and lgbm_global")
    ap.add_argument("--repeats", type=int, default=1, help="alternate platform / bare this many times")
    ap.add_argument("--no-end-to-end", dest="end_to_end", action="store_false",
                    help="skip the whole forecast job run")
    ap.add_argument("--profile", action="store_true",
                    help="also run the platform's tasks serially in-process (CPU per task kind, cProfile breakdown, "
                         "worker import time)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    from lakecast.settings import Settings

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    temp = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="lakecast-bcost-")) if temp else args.data_dir.resolve()
    started = dt.datetime.now(dt.UTC)
    machine_at_start = machine()  # load average before the runs (taking it with the result gave the end's twice)
    model_ids = args.models.split(",") if args.models else default_models()
    unsupported = [m for m in model_ids if m not in STAT_CLASSES and m != "lgbm_global"]
    if unsupported:
        ap.error(f"the bare script has no version of {unsupported}")
    try:
        settings = Settings(data_dir=data_dir, catalog={"name": "bench"})
        fc = settings.forecast
        params = check_params(settings)
        prep = prepare_data(settings, args.scale, args.seed, log)
        spark = prep["spark"]
        setup = platform_setup(spark, settings)
        hist = setup["inputs"]["history"]
        log(f"inputs: {hist['unique_id'].nunique()} series, {hist['ds'].nunique()} months, "
            f"{len(setup['origins'])} origins + forward {setup['forward_origin'].date()}")
        runs = [(o, fc.horizon) for o in setup["origins"]["fcst_origin"]] + [(setup["forward_origin"],
                                                                             fc.forward_horizon)]
        timings: dict[str, dict] = {}
        reps: dict[str, list] = {"platform": [], "bare": []}
        platform = bare = None
        for i in range(args.repeats):
            order = ("platform", "bare") if i % 2 == 0 else ("bare", "platform")
            for side in order:
                with Timer() as t:
                    if side == "platform":
                        platform = run_platform(spark, settings, setup, model_ids)
                    else:
                        bare = run_bare(hist, runs, model_ids, fc.season_length, params)
                reps[side].append({"wall": round(t.wall, 2), "cpu": round(t.cpu, 2)})
                log(f"{side} run {i + 1}: wall {t.wall:.1f}s, CPU {t.cpu:.1f}s")
        labels = {"platform": "platform: run_models (Spark, models only)",
                  "bare": "bare: statsforecast + LightGBM script"}
        for side, label in labels.items():
            timings[label] = {k: float(np.median([r[k] for r in reps[side]])) for k in ("wall", "cpu")}
        p_t, b_t = timings[labels["platform"]], timings[labels["bare"]]
        ratios = {"platform/bare wall (models only)": round(p_t["wall"] / b_t["wall"], 3),
                  "platform/bare CPU (models only)": round(p_t["cpu"] / b_t["cpu"], 3)}
        agreement = compare(platform, bare, actuals_frame(hist))

        prof = None
        if args.profile:
            prof = profile_platform(spark, settings, setup, model_ids)
            log(f"profile: serial task CPU {prof['serial_task_cpu_seconds']}s; {prof['cpu_by_task_kind']}")
        e2e_steps = None
        if args.end_to_end:
            from lakecast.settings import CompetitionSettings
            from spark_jobs import forecast as fjob

            comp = fc.competition
            members = [m for m in (comp.combo_members or []) if m in model_ids]
            comp = CompetitionSettings(**{**comp.model_dump(), "combo_members": members if len(members) > 1
                                          else None})
            with Timer() as t:
                res = fjob.run(spark, settings, models=model_ids, competition=comp)
            timings["platform: forecast job end to end"] = {"wall": round(t.wall, 2), "cpu": round(t.cpu, 2)}
            e2e_steps = res.seconds
            ratios["platform end-to-end/bare wall"] = round(t.wall / b_t["wall"], 3)
            ratios["platform end-to-end/bare CPU"] = round(t.cpu / b_t["cpu"], 3)
            log(f"forecast job end to end: wall {t.wall:.1f}s, CPU {t.cpu:.1f}s, steps {res.seconds}")

        result = {
            "benchmark": "backtest-cost", "scale": args.scale, "seed": args.seed,
            "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine_at_start, "versions": versions(),
            "data": {"n_series": int(hist["unique_id"].nunique()), "n_months": int(hist["ds"].nunique()),
                     "history_rows": len(hist)},
            "models": model_ids, "origins": {r.timeframe: str(r.fcst_origin.date())
                                             for r in setup["origins"].itertuples()},
            "forward_origin": str(setup["forward_origin"].date()), "horizon": fc.horizon,
            "forward_horizon": fc.forward_horizon, "lgbm_params": params,
            "threads": {"platform": f"Spark local[*] = {spark.sparkContext.defaultParallelism} task slots, "
                                    "each task single-threaded (statsforecast n_jobs=1, LightGBM num_threads=1)",
                        "bare": f"statsforecast n_jobs={CORES}; LightGBM {CORES} joblib processes (one per origin), "
                                "num_threads=1 each"},
            "platform_tasks": {"stat_buckets": fc.stat_buckets},
            "timings": timings, "repeats": reps, "ratios": ratios, "agreement": agreement,
            "setup": prep["facts"],
        }
        if e2e_steps is not None:
            result["end_to_end_steps"] = e2e_steps
        if prof is not None:
            result["profile"] = prof
        result["machine"]["load_avg_1_5_15_at_end"] = [round(x, 2) for x in os.getloadavg()]
        result["wall_seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    finally:
        if temp and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    out = args.out or RESULTS / f"backtest-cost-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_table(result)
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
