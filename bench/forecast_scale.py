"""Forecast job at two scales: driver peak RSS and cost per DFU (issue 12 item 3).

One forecast job run (``spark_jobs.forecast.run``, default models and settings, MLflow on) per call, in a fresh
child process so that its peak RSS is the job's own:

* ``driver_peak_rss_mib``: VmHWM of the Python driver process (pandas frames, closures, the competition).
* ``jvm_peak_rss_mib``: VmHWM of the driver's JVM (local mode: the JVM also runs the executors).
* ``wall_seconds`` / ``cpu_seconds``: the job, from Spark session ready to published (CPU of the whole
  process tree: driver, JVM, PySpark workers), and the same per DFU.

The data (generate + bronze/silver/gold) is prepared once per data dir (``--data-dir``) and not timed.
``--code-dir`` runs the job from another checkout (e.g. a worktree at the commit before a change) with the
same data, so a before/after pair differs only in the code; ``--dump`` writes the run's ``fact_forecast``
(backtest + baseline) to Parquet, and ``--compare A B`` checks two dumps for exact equality per key.

    uv run python bench/forecast_scale.py --scale small --data-dir /tmp/fc-small --label after
    uv run python bench/forecast_scale.py --scale medium --data-dir /tmp/fc-medium --label after
    uv run python bench/forecast_scale.py --compare before.parquet after.parquet

Results are merged into ``bench/results/forecast-scale.json`` under ``runs["<scale>/<label>"]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "forecast-scale.json"
KEY = ["scenario_id", "model_id", "dfu_id", "timeframe", "fcst_origin", "target_month", "lag"]


def _hwm_mib(pid: int) -> float | None:
    """Peak resident set (VmHWM) of ``pid`` in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _java_descendant(root: int) -> int | None:
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "java":
                return pid
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return None


def child(args: argparse.Namespace) -> int:
    """Run the forecast job once in this process and write its figures as JSON to ``args.child_out``."""
    from bench.backtest_cost import Timer, prepare_data
    from lakecast.settings import Settings
    from spark_jobs import forecast as fjob

    settings = Settings(data_dir=args.data_dir, catalog={"name": "bench"})
    prep = prepare_data(settings, args.scale, args.seed, lambda m: print(m, flush=True))
    spark = prep["spark"]
    cat = settings.catalog.name
    n_dfus = spark.table(f"{cat}.gold.dim_dfu").count()
    n_hist = spark.table(f"{cat}.gold.fact_sales_monthly").count()
    n_ext = spark.table(f"{cat}.gold.fact_external_forecast_monthly").count()
    rss_before = _hwm_mib(os.getpid())
    with Timer() as t:
        res = fjob.run(spark, settings, progress=lambda stage, msg: print(
            f"[{time.strftime('%H:%M:%S')}] {stage}: {msg}", flush=True))
    java = _java_descendant(os.getpid())
    out = {
        "scale": args.scale, "label": args.label, "code_commit": _commit(Path.cwd()),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_avg_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
        "n_dfus": n_dfus, "history_rows": n_hist, "external_rows": n_ext,
        "models": res.models, "stat_buckets": settings.forecast.stat_buckets,
        "wall_seconds": round(t.wall, 1), "cpu_seconds": round(t.cpu, 1),
        "wall_ms_per_dfu": round(1000 * t.wall / n_dfus, 2), "cpu_ms_per_dfu": round(1000 * t.cpu / n_dfus, 2),
        "driver_peak_rss_mib": _hwm_mib(os.getpid()), "driver_rss_before_job_mib": rss_before,
        "jvm_peak_rss_mib": _hwm_mib(java) if java else None,
        "steps_seconds": res.seconds, "rows": res.rows,
    }
    if args.dump:
        spark.sql(f"SELECT {', '.join(KEY)}, fcst_qty FROM {cat}.gold.fact_forecast "
                  "WHERE scenario_id IN ('backtest', 'baseline')").toPandas().to_parquet(args.dump)
        out["dump"] = str(args.dump)
    Path(args.child_out).write_text(json.dumps(out, indent=2, default=str))
    spark.stop()
    return 0


def _commit(path: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=path, capture_output=True,
                          text=True).stdout.strip()


def compare(a: Path, b: Path) -> dict:
    """Exact equality of two ``fact_forecast`` dumps: same keys, same ``fcst_qty`` for every key."""
    import pandas as pd

    x, y = pd.read_parquet(a), pd.read_parquet(b)
    m = x.merge(y, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    both = m[m["_merge"] == "both"]
    diff = both.loc[both["fcst_qty_a"] != both["fcst_qty_b"]]
    return {"rows_a": len(x), "rows_b": len(y), "only_a": int((m["_merge"] == "left_only").sum()),
            "only_b": int((m["_merge"] == "right_only").sum()), "keys_compared": len(both),
            "values_different": len(diff), "max_abs_diff": float((diff["fcst_qty_a"] - diff["fcst_qty_b"]).abs().max())
            if len(diff) else 0.0, "identical": len(diff) == 0 and len(both) == len(x) == len(y)}


def _merge_result(key: str, value: dict) -> None:
    data: dict = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"benchmark": "forecast-scale"}
    data.setdefault("runs", {})[key] = value
    data["ratios"] = _ratios(data["runs"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2, default=str) + "\n")


def _ratios(runs: dict) -> dict:
    """Per label: each scale's cost per DFU and driver RSS relative to ``small``."""
    out: dict = {}
    for key, r in runs.items():
        scale, _, label = key.partition("/")
        base = runs.get(f"small/{label}")
        if scale == "small" or not base or "cpu_ms_per_dfu" not in r:
            continue
        out[key] = {"cpu_per_dfu_vs_small": round(r["cpu_ms_per_dfu"] / base["cpu_ms_per_dfu"], 2),
                    "wall_per_dfu_vs_small": round(r["wall_ms_per_dfu"] / base["wall_ms_per_dfu"], 2),
                    "driver_rss_vs_small": round(r["driver_peak_rss_mib"] / base["driver_peak_rss_mib"], 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--label", default="after", help="result key suffix, e.g. before | after")
    ap.add_argument("--code-dir", type=Path, default=ROOT, help="checkout whose code runs the job")
    ap.add_argument("--dump", type=Path, default=None, help="write fact_forecast (key + fcst_qty) here")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.compare:
        res = compare(*args.compare)
        print(json.dumps(res, indent=2))
        _merge_result(f"equality/{args.label}", {**res, "a": str(args.compare[0]), "b": str(args.compare[1])})
        return 0 if res["identical"] else 1
    if args.child:
        return child(args)
    if args.data_dir is None:
        ap.error("--data-dir is required")
    code = args.code_dir.resolve()
    out_file = Path(f"/tmp/forecast-scale-{args.scale}-{args.label}-{os.getpid()}.json")
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, str(code / "bench" / "forecast_scale.py") if (code / "bench" / "forecast_scale.py").exists()
           else str(Path(__file__).resolve()), "--child", "--child-out", str(out_file), "--scale", args.scale,
           "--seed", str(args.seed), "--data-dir", str(args.data_dir.resolve()), "--label", args.label]
    if args.dump:
        cmd += ["--dump", str(args.dump.resolve())]
    subprocess.run(cmd, check=True, cwd=code, env=env)
    res = json.loads(out_file.read_text())
    _merge_result(f"{args.scale}/{args.label}", res)
    print(json.dumps({k: res[k] for k in ("n_dfus", "wall_seconds", "cpu_seconds", "cpu_ms_per_dfu",
                                          "driver_peak_rss_mib", "jvm_peak_rss_mib")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
