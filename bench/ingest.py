"""Ingest benchmark: landing CSV/Parquet -> bronze -> silver with Spark, beside pyarrow CSV -> Parquet.

One run, one machine, one generated data set (``lakecast.generate``, default ``--scale small --seed 42``):

1. Generate the landing files into ``<data-dir>/landing`` (not timed as ingest).
2. Start a local Spark session from Settings (conf/local.yaml: ``local[*]``) with an Iceberg Hadoop catalog
   named ``bench`` under ``<data-dir>/warehouse``; one tiny warm-up query (JIT, class loading).
3. Bronze, run as the production job (``spark_jobs.bronze.run``) in three timed phases so that CSV and
   Parquet can be told apart. Bronze is idempotent per batch, so moving batches in and out of the landing
   dir selects what each run lands:
     a. ``sales_lines`` with only the CSV batches present (the Parquet batch dirs moved aside),
     b. ``sales_lines`` again with the Parquet batches back: lands only them (CSV batches are re-hashed
        and skipped, which is part of this phase's time),
     c. the masters (CSV) and the external forecast (Parquet).
   Each phase is one ``bronze.run`` call = one Iceberg commit per source.
4. Silver (``spark_jobs.silver.run``) on all of bronze: typing, validation, SCD2, quarantine, reconciliation.
5. pyarrow, in the same process after Spark: every CSV file of ``sales_lines`` read with
   ``pyarrow.csv.read_csv`` and written with ``pyarrow.parquet.write_table`` (zstd, as the Iceberg tables),
   one file at a time, with ``use_threads=False`` and pyarrow's CPU and IO pools set to one thread. Two
   variants: all columns read as strings (what bronze lands) and with pyarrow's type inference. Each is
   repeated (``--pyarrow-repeats``, default 3) and the median counts; Spark phases run once.

Rows/s = rows landed / wall seconds. Spark rows are counted from ops.ingest_files and checked against
the generator's manifest.

    uv run python bench/ingest.py                      # small, seed 42, temp data dir (deleted)
    uv run python bench/ingest.py --scale tiny --data-dir /tmp/lakecast-bench --keep
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).resolve().parent / "results"
SALES = "sales_lines"


def machine() -> dict:
    info: dict = {"cores": os.cpu_count(), "platform": platform.platform(),
                  "python": platform.python_version()}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")
        total_kb = next(int(line.split()[1]) for line in mem if line.startswith("MemTotal:"))
        info["ram_gib"] = round(total_kb / 1024**2, 1)
        cpu = Path("/proc/cpuinfo").read_text().split("\n")
        models = (line.split(":", 1)[1].strip() for line in cpu if line.startswith("model name"))
        info["cpu"] = next(models, None)
    except (OSError, StopIteration):
        pass
    info["load_avg_1_5_15_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def versions() -> dict:
    import pyarrow
    import pyspark

    from lakecast.runtime.spark import iceberg_runtime_jar

    out = {"pyspark": pyspark.__version__, "pyarrow": pyarrow.__version__,
           "iceberg_runtime_jar": Path(iceberg_runtime_jar()).name}
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        out["java"] = (java.stderr or java.stdout).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        out["java"] = None
    try:
        root = Path(__file__).resolve().parent.parent
        out["lakecast_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                                                capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["lakecast_commit"] = None
    return out


def rate(rows: int, seconds: float) -> float | None:
    return round(rows / seconds, 1) if seconds > 0 else None


def phase(name: str, rows: int, seconds: float, **extra) -> dict:
    return {"phase": name, "rows": rows, "seconds": round(seconds, 2), "rows_per_s": rate(rows, seconds),
            **extra}


def run_spark(settings, manifest: dict, log) -> tuple[list[dict], dict]:
    from pyspark.sql import functions as F

    from contracts.landing import SOURCES
    from lakecast.runtime.spark import get_spark
    from spark_jobs import bronze, silver

    t0 = time.perf_counter()
    spark = get_spark(settings)
    spark.range(1000).selectExpr("sum(id)").collect()  # warm-up: JVM class loading, codegen
    startup = time.perf_counter() - t0
    log(f"spark session up in {startup:.1f}s (master {spark.sparkContext.master})")

    batches = manifest["sources"][SALES]["batches"]
    parquet_batches = [b for b, e in batches.items() if e["format"] == "parquet"]
    landing = settings.landing_dir / SALES
    held = settings.data_path / "held-aside"
    held.mkdir(parents=True, exist_ok=True)
    for b in parquet_batches:
        shutil.move(str(landing / b), str(held / b))

    phases = []
    t0 = time.perf_counter()
    res = bronze.run(spark, settings, sources=[SALES])
    t_csv = time.perf_counter() - t0
    phases.append(phase("bronze: sales_lines CSV batches", res.rows.get(SALES, 0), t_csv,
                        batches=len(res.landed_batches.get(SALES, []))))
    log(f"bronze sales CSV: {res.rows.get(SALES, 0):,} rows in {t_csv:.1f}s")

    for b in parquet_batches:
        shutil.move(str(held / b), str(landing / b))
    t0 = time.perf_counter()
    res = bronze.run(spark, settings, sources=[SALES])
    t_pq = time.perf_counter() - t0
    phases.append(phase("bronze: sales_lines Parquet batches", res.rows.get(SALES, 0), t_pq,
                        batches=len(res.landed_batches.get(SALES, []))))
    log(f"bronze sales Parquet: {res.rows.get(SALES, 0):,} rows in {t_pq:.1f}s")

    others = [s for s in SOURCES if s != SALES]
    t0 = time.perf_counter()
    res = bronze.run(spark, settings, sources=others)
    t_other = time.perf_counter() - t0
    other_rows = sum(res.rows.values())
    phases.append(phase("bronze: masters (CSV) + external forecast (Parquet)", other_rows, t_other,
                        batches=sum(len(v) for v in res.landed_batches.values())))
    log(f"bronze masters + external: {other_rows:,} rows in {t_other:.1f}s")

    ingest = spark.table(f"{settings.catalog.name}.ops.ingest_files")
    landed = {(r["source"], r["file_format"]): r["rows"] for r in
              ingest.groupBy("source", "file_format").agg(F.sum("rows").alias("rows")).collect()}
    rejected = ingest.where(F.col("status") != "accepted").count()
    rows_landed = sum(landed.values())
    rows_manifest = sum(s["rows"] for s in manifest["sources"].values())
    bronze_s = t_csv + t_pq + t_other
    phases.append(phase("bronze total", rows_landed, bronze_s))

    t0 = time.perf_counter()
    sres = silver.run(spark, settings)
    silver_s = time.perf_counter() - t0
    phases.append(phase("silver (all bronze rows in)", rows_landed, silver_s,
                        silver_rows=dict(sres.rows),
                        quarantined=sum(sres.quarantined_by_rule.values())))
    log(f"silver: {silver_s:.1f}s")
    phases.append(phase("bronze + silver", rows_landed, bronze_s + silver_s))

    facts = {
        "spark_startup_seconds": round(startup, 2),
        "spark_master": spark.sparkContext.master,
        "spark_default_parallelism": spark.sparkContext.defaultParallelism,
        "driver_memory": settings.spark.driver_memory,
        "shuffle_partitions": settings.spark.shuffle_partitions,
        "rows_landed": rows_landed,
        "rows_in_manifest": rows_manifest,
        "rows_landed_by_source_format": {f"{s}/{f}": n for (s, f), n in sorted(landed.items())},
        "files_rejected": rejected,
    }
    return phases, facts


def run_pyarrow(landing: Path, out_dir: Path, log, repeats: int = 3) -> list[dict]:
    import statistics

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    files = sorted((landing / SALES).glob("*/*.csv"))
    cpu, io_threads = pa.cpu_count(), pa.io_thread_count()
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    results = []
    try:
        for variant in ("all columns as strings", "type inference"):
            times = []
            for _ in range(repeats):
                out_dir.mkdir(parents=True, exist_ok=True)
                rows = 0
                t0 = time.perf_counter()
                for i, f in enumerate(files):
                    with f.open("rb") as fh:
                        header = fh.readline().decode().strip().split(",")
                    types = {c: pa.string() for c in header} if variant.startswith("all") else None
                    table = pacsv.read_csv(f, read_options=pacsv.ReadOptions(use_threads=False),
                                           convert_options=pacsv.ConvertOptions(column_types=types))
                    pq.write_table(table, out_dir / f"{i:04d}.parquet", compression="zstd")
                    rows += table.num_rows
                times.append(time.perf_counter() - t0)
                shutil.rmtree(out_dir)
            seconds = statistics.median(times)
            results.append(phase(f"pyarrow CSV -> Parquet ({variant})", rows, seconds, files=len(files),
                                 repeats_seconds=[round(t, 3) for t in times], timing="median of repeats"))
            log(f"pyarrow ({variant}): {rows:,} rows from {len(files)} files, median {seconds:.2f}s "
                f"of {[round(t, 2) for t in times]}")
    finally:
        pa.set_cpu_count(cpu)
        pa.set_io_thread_count(io_threads)
    return results


def print_table(result: dict) -> None:
    rows = result["phases"]
    w = max(len(p["phase"]) for p in rows)
    print()
    print(f"Ingest benchmark: scale={result['scale']} seed={result['seed']}  "
          f"{result['machine']['cores']} cores, {result['machine'].get('ram_gib')} GiB RAM  {result['date']}")
    print(f"{'phase':<{w}}  {'rows':>11}  {'seconds':>8}  {'rows/s':>10}")
    for p in rows:
        print(f"{p['phase']:<{w}}  {p['rows']:>11,}  {p['seconds']:>8.2f}  {p['rows_per_s'] or 0:>10,.0f}")
    print()
    for k, v in result["ratios"].items():
        print(f"{k}: {v}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="small", help="generator scale: tiny | small | medium | large (default small)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--messy-fraction", type=float, default=0.01)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="empty or new directory to use (default: a temp dir, deleted afterwards)")
    ap.add_argument("--pyarrow-repeats", type=int, default=3, help="pyarrow repetitions (median counts)")
    ap.add_argument("--keep", action="store_true", help="keep the data dir (landing files and warehouse)")
    ap.add_argument("--out", type=Path, default=None,
                    help="JSON output (default bench/results/ingest-<scale>.json)")
    args = ap.parse_args(argv)

    from lakecast.generate import generate
    from lakecast.settings import Settings

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    temp = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="lakecast-bench-")) if temp else args.data_dir.resolve()
    if not temp and (data_dir / "warehouse").exists():
        ap.error(f"{data_dir}/warehouse exists: bronze would skip already-landed batches; use an empty dir")
    started = dt.datetime.now(dt.UTC)
    result: dict = {"benchmark": "ingest", "scale": args.scale, "seed": args.seed,
                    "messy_fraction": args.messy_fraction, "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "machine": machine(), "versions": versions()}
    try:
        settings = Settings(data_dir=data_dir, catalog={"name": "bench"})
        t0 = time.perf_counter()
        manifest = generate(settings.landing_dir, scale=args.scale, seed=args.seed,
                            messy_fraction=args.messy_fraction)
        result["generate_seconds"] = round(time.perf_counter() - t0, 2)
        sales = manifest["sources"][SALES]
        result["data"] = {
            "sales_batches": sales["batch_count"],
            "sales_csv_files": sum(1 for b in sales["batches"].values() if b["format"] == "csv"),
            "sales_parquet_files": sum(1 for b in sales["batches"].values() if b["format"] == "parquet"),
            "sales_csv_bytes": sum(f["bytes"] for b in sales["batches"].values() if b["format"] == "csv"
                                   for f in b["files"]),
            "rows_by_source": {name: s["rows"] for name, s in manifest["sources"].items()},
        }
        log(f"generated {args.scale} (seed {args.seed}) in {result['generate_seconds']}s into {data_dir}")

        spark_phases, spark_facts = run_spark(settings, manifest, log)
        result["spark"] = spark_facts
        pa_phases = run_pyarrow(settings.landing_dir, data_dir / "pyarrow-out", log, args.pyarrow_repeats)
        result["phases"] = spark_phases + pa_phases

        by = {p["phase"]: p for p in result["phases"]}
        pa_str = by["pyarrow CSV -> Parquet (all columns as strings)"]["rows_per_s"]
        pa_inf = by["pyarrow CSV -> Parquet (type inference)"]["rows_per_s"]
        result["ratios"] = {
            "bronze CSV sales rows/s / pyarrow (strings) rows/s":
                round(by["bronze: sales_lines CSV batches"]["rows_per_s"] / pa_str, 4),
            "bronze+silver rows/s (all landed rows) / pyarrow (strings) rows/s":
                round(by["bronze + silver"]["rows_per_s"] / pa_str, 4),
            "bronze+silver rows/s (all landed rows) / pyarrow (type inference) rows/s":
                round(by["bronze + silver"]["rows_per_s"] / pa_inf, 4),
        }
        if spark_facts["rows_landed"] != spark_facts["rows_in_manifest"]:
            result["warning"] = "rows landed differ from the generator manifest"
        result["machine"]["load_avg_1_5_15_at_end"] = [round(x, 2) for x in os.getloadavg()]
        result["wall_seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    finally:
        if temp and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    out = args.out or RESULTS / f"ingest-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, out)
    print_table(result)
    log(f"wrote {out}")
    return 0 if "warning" not in result else 1


if __name__ == "__main__":
    raise SystemExit(main())
