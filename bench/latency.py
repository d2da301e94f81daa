"""API latency of the dashboard endpoints under concurrent clients, beside the same SQL run bare on the engine.

One run:

1. **Data**: a data dir holding the pipeline's tables (``--data-dir``, default
   ``<tmp>/lakecast-bench-latency-<scale>``). If its forecast tables are missing, landing data is generated
   (``lakecast generate --scale <scale> --seed <seed>``) and ``lakecast run pipeline`` builds everything, in
   subprocesses. An existing data dir is reused as is (its scale is read from the landing manifest).
2. **Server**: the embedded Postgres of that data dir (migrated, demo users), and the real app
   (``api.main:create_app``) under uvicorn in a **separate process** on 127.0.0.1 (1 worker, no access log).
3. **Endpoints**: KPIs, trends, accuracy slice, lag curve, exceptions, DFU drilldown, typeahead search (those
   the app's OpenAPI schema has), each with a fixed query (``ENDPOINTS``); the drilldown cycles over the
   ``--dfus`` DFUs with the most volume.
4. **SQL capture**: in this process, the same app behind Starlette's TestClient, with its QueryEngine wrapped
   by a recorder; each URL is called twice and the engine queries of the second (warm) call are kept: that is
   exactly the SQL (and parameters) one API request sends once the per-snapshot lookups are cached.
5. **Per endpoint**, in one run: ``--warmup`` then ``--requests`` HTTP GETs from ``--concurrency`` async clients
   (httpx) against the server; then the recorded queries of each request replayed on a ``DuckDBEngine`` in
   this process from ``--concurrency`` threads, the same number of times ("bare"). p50/p95/p99, mean,
   throughput and errors for both; ratio API / bare.
6. Prints a table and writes ``bench/results/latency-<scale>.json`` (``--out``). The server's own view
   (``/metrics`` request-duration histogram: mean seconds per route) is recorded too.

Not part of the test suite. Usage (see bench/README.md)::

    uv run python bench/latency.py                                  # small scale, default bench dir
    uv run python bench/latency.py --data-dir /tmp/lakecast-bench-latency --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"

#: name -> (path template, query). The window is the last 12 months of actuals: a typical dashboard view.
ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "kpis": ("/kpis", {"window": 12}),
    "trends": ("/trends", {"window": 12}),
    "accuracy_slice": ("/accuracy/slice", {"window": 12, "by": "category"}),
    "lag_curve": ("/accuracy/lag-curve", {"window": 12}),
    "exceptions": ("/exceptions", {"window": 12, "n": 20}),
    "drilldown": ("/dfus/{dfu_id}", {"window": 12}),
    "search": ("/meta/search", {"q": "a", "kind": "item", "limit": 10}),
}
FORECAST_READY = ("gold", "fact_forecast_accuracy")


# ---------------------------------------------------------------------------------------------- data
def data_ready(data_dir: Path) -> bool:
    from lakecast.runtime import iceberg

    ns, table = FORECAST_READY
    return iceberg.table_exists(data_dir / "warehouse" / ns / table)


def prepare_data(data_dir: Path, scale: str, seed: int) -> dict[str, float]:
    """Generate and run the pipeline into ``data_dir`` unless its forecast tables exist; return timings."""
    timings: dict[str, float] = {}
    if data_ready(data_dir):
        return timings
    env = {**os.environ, "LAKECAST_DATA_DIR": str(data_dir)}
    steps = []
    manifest = data_dir / "landing" / "_manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text()).get("scale") != scale:
        steps.append(("generate", ["generate", "--scale", scale, "--seed", str(seed)]))
    steps.append(("pipeline", ["run", "pipeline"]))
    for name, args in steps:
        print(f"[latency] {name}: lakecast {' '.join(args)} (data dir {data_dir}) ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lakecast_cli", *args], env=env, cwd=ROOT, check=True)
        timings[name] = round(time.perf_counter() - t0, 1)
    return timings


def data_scale(settings: Any) -> dict[str, Any]:
    """What the endpoints read: row counts of the served tables, landing scale, sales lines."""
    from lakecast.runtime.engine import DuckDBEngine

    engine = DuckDBEngine(settings)
    counts = {}
    for fqn in ("silver.sales_lines", "gold.fact_sales_monthly", "gold.dim_dfu", "gold.fact_forecast",
                "gold.fact_forecast_accuracy", "gold.agg_loc_item_week"):
        try:
            counts[fqn] = engine.query(f"SELECT count(*) AS n FROM {fqn}")[0]["n"]
        except Exception:  # a table the pipeline version does not produce
            counts[fqn] = None
    manifest = settings.landing_dir / "_manifest.json"
    meta = json.loads(manifest.read_text()) if manifest.exists() else {}
    return {"scale": meta.get("scale"), "seed": meta.get("seed"), "rows": counts}


# ---------------------------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER_CODE = """
import uvicorn
from api.main import create_app
from lakecast.settings import get_settings
uvicorn.run(create_app(get_settings()), host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "LAKECAST_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-c", SERVER_CODE.format(port=port)], env=env, cwd=ROOT,
                            start_new_session=True)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("uvicorn did not answer /health within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------------------------------------- SQL capture
class RecordingEngine:
    """Delegates to a QueryEngine and records (sql, params) while ``recording`` is set."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.recording = False
        self.log: list[tuple[str, list[Any]]] = []

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        if self.recording:
            self.log.append((sql, list(params or [])))
        return self.inner.query(sql, params)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)


def capture_sql(settings: Any, urls: dict[str, list[str]], headers: dict[str, str]) -> dict[str, list[list]]:
    """url -> the engine queries one warm request sends (the app in-process, engine wrapped by a recorder)."""
    from fastapi.testclient import TestClient

    from api.engine import ServingEngine
    from api.main import create_app
    from lakecast.runtime.engine import get_engine

    app = create_app(settings)
    recorder = RecordingEngine(get_engine(settings))
    # no result cache here: the warm call must send its queries to be recorded
    uncached = settings.model_copy(update={"engine": settings.engine.model_copy(update={"result_cache_entries": 0})})
    out: dict[str, list[list]] = {}
    with TestClient(app) as client:
        app.state.engine = ServingEngine(recorder, uncached)
        for url in sorted({u for us in urls.values() for u in us}):
            first = client.get(url, headers=headers)
            first.raise_for_status()
            recorder.recording, recorder.log = True, []
            client.get(url, headers=headers).raise_for_status()
            recorder.recording = False
            out[url] = [[sql, params] for sql, params in recorder.log]
    return out


# ---------------------------------------------------------------------------------------------- load
@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        n = len(lat)

        def pct(p: float) -> float | None:
            """Percentile with linear interpolation between closest ranks (numpy's default method)."""
            if not lat:
                return None
            k = (n - 1) * p / 100
            lo = int(k)
            hi = min(lo + 1, n - 1)
            return round(lat[lo] + (lat[hi] - lat[lo]) * (k - lo), 2)

        return {"requests": n + self.errors, "ok": n, "errors": self.errors, "error_samples": self.error_samples[:3],
                "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
                "max_ms": round(lat[-1], 2) if lat else None,
                "throughput_rps": round(n / self.wall_s, 1) if self.wall_s else None}


async def _api_load(base: str, urls: list[str], headers: dict[str, str], n: int, concurrency: int) -> Run:
    import httpx

    run = Run()
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for i in counter:
                url = urls[i % len(urls)]
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                    ok = r.status_code == 200
                    detail = f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                ms = (time.perf_counter() - t0) * 1000
                if ok:
                    run.latencies_ms.append(ms)
                else:
                    run.errors += 1
                    run.error_samples.append(detail)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.wall_s = time.perf_counter() - t0
    return run


def api_load(base: str, urls: list[str], headers: dict[str, str], n: int, concurrency: int) -> Run:
    return asyncio.run(_api_load(base, urls, headers, n, concurrency))


def bare_load(engine: Any, queries: list[list[list]], n: int, concurrency: int) -> Run:
    """Replay request i's recorded queries (``queries[i % len]``) from ``concurrency`` threads, ``n`` times."""
    run = Run()
    lock = threading.Lock()
    counter = iter(range(n))

    def one(i: int) -> None:
        t0 = time.perf_counter()
        try:
            for sql, params in queries[i % len(queries)]:
                engine.query(sql, params)
            ok, detail = True, ""
        except Exception as exc:  # counted and reported
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            if ok:
                run.latencies_ms.append(ms)
            else:
                run.errors += 1
                run.error_samples.append(detail)

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            one(i)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    run.wall_s = time.perf_counter() - t0
    return run


# ---------------------------------------------------------------------------------------------- main
def endpoint_urls(available: set[str], dfus: list[str]) -> dict[str, list[str]]:
    from urllib.parse import quote

    urls: dict[str, list[str]] = {}
    for name, (template, query) in ENDPOINTS.items():
        if template not in available:
            continue
        qs = urlencode(query)
        if "{dfu_id}" in template:
            urls[name] = [f"{template.replace('{dfu_id}', quote(d, safe=''))}?{qs}" for d in dfus]
        else:
            urls[name] = [f"{template}?{qs}"]
    return urls


def top_dfus(settings: Any, n: int) -> list[str]:
    from lakecast.runtime.engine import DuckDBEngine

    rows = DuckDBEngine(settings).query(f"SELECT dfu_id FROM gold.dim_dfu ORDER BY qty_12m DESC, dfu_id LIMIT {n}")
    return [r["dfu_id"] for r in rows]


def server_means(base: str) -> dict[str, float]:
    """Mean server-side seconds per route from the app's own /metrics (request-duration histogram)."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for fam in text_string_to_metric_families(httpx.get(f"{base}/metrics").text):
        for s in fam.samples:
            if s.labels.get("status") != "200":
                continue
            if s.name == "lakecast_http_request_duration_seconds_sum":
                sums[s.labels["route"]] = sums.get(s.labels["route"], 0) + s.value
            elif s.name == "lakecast_http_request_duration_seconds_count":
                counts[s.labels["route"]] = counts.get(s.labels["route"], 0) + s.value
    return {r: round(1000 * sums[r] / counts[r], 2) for r in sums if counts.get(r)}


def print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table("endpoint", "side", "p50 ms", "p95 ms", "p99 ms", "mean ms", "req/s", "errors", "API/bare p50",
              "API/bare p95", title=f"Latency, {results['concurrency']} concurrent clients, "
              f"{results['requests_per_endpoint']} requests each ({results['data']['scale']} scale)")

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v)

    for name, r in results["endpoints"].items():
        for side in ("api", "bare"):
            s = r[side]
            ratio = r["ratio"] if side == "api" else {}
            t.add_row(name if side == "api" else "", side, f(s["p50_ms"]), f(s["p95_ms"]), f(s["p99_ms"]),
                      f(s["mean_ms"]), f(s["throughput_rps"]), str(s["errors"]), f(ratio.get("p50")),
                      f(ratio.get("p95")))
    Console().print(t)


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (" (+ uncommitted changes)" if dirty else "")
    except OSError:
        return None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", default="small", help="generator scale when the data dir has to be built")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data-dir", type=Path, default=None, help="reuse (or build into) this data dir")
    p.add_argument("--requests", type=int, default=400, help="requests per endpoint and side")
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--warmup", type=int, default=20, help="untimed requests per endpoint and side first")
    p.add_argument("--dfus", type=int, default=20, help="DFUs the drilldown cycles over")
    p.add_argument("--only", default=None, help="comma-separated endpoint names (default: all available)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--no-result-cache", action="store_true",
                   help="serve with engine.result_cache_entries=0 (every request runs its SQL; the API overhead "
                        "figure); results go to latency-<scale>-nocache.json")
    args = p.parse_args(argv)

    data_dir = (args.data_dir or Path(tempfile.gettempdir()) / f"lakecast-bench-latency-{args.scale}").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["LAKECAST_DATA_DIR"] = str(data_dir)
    from lakecast.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    prep = prepare_data(data_dir, args.scale, args.seed)

    from lakecast.appdb import migrate, server
    from lakecast.appdb.seed import seed_demo_users

    url = server.start(settings)  # left running (like `lakecast db start`); the app reuses it
    migrate.upgrade(url)
    seed_demo_users(url)
    scale = data_scale(settings)

    if args.no_result_cache:
        os.environ["LAKECAST_ENGINE__RESULT_CACHE_ENTRIES"] = "0"  # the server process inherits it
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(data_dir, port)
    results: dict[str, Any] = {}
    try:
        import httpx

        token = httpx.post(f"{base}/auth/token", data={"username": "viewer", "password": "lakecast"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        available = set(httpx.get(f"{base}/openapi.json").json()["paths"])
        urls = endpoint_urls(available, top_dfus(settings, args.dfus))
        if args.only:
            urls = {k: v for k, v in urls.items() if k in args.only.split(",")}
        print(f"[latency] endpoints: {', '.join(urls)}; capturing their SQL ...", flush=True)
        sql = capture_sql(settings, urls, headers)

        from lakecast.runtime.engine import get_engine

        bare_engine = get_engine(settings)  # the API's serving engine (snapshots materialized), without the API
        endpoints: dict[str, Any] = {}
        load_avg_start = os.getloadavg()[0]
        for name, ulist in urls.items():
            print(f"[latency] {name}: API ...", flush=True)
            api_load(base, ulist, headers, args.warmup, args.concurrency)
            api = api_load(base, ulist, headers, args.requests, args.concurrency).summary()
            queries = [sql[u] for u in ulist]
            print(f"[latency] {name}: bare engine ({len(queries[0])} queries per request) ...", flush=True)
            bare_load(bare_engine, queries, args.warmup, args.concurrency)
            bare = bare_load(bare_engine, queries, args.requests, args.concurrency).summary()
            ratio = {k: round(api[f"{k}_ms"] / bare[f"{k}_ms"], 2) if api[f"{k}_ms"] and bare[f"{k}_ms"] else None
                     for k in ("p50", "p95", "p99")}
            endpoints[name] = {"urls": ulist[:3] + (["..."] if len(ulist) > 3 else []), "n_urls": len(ulist),
                               "queries_per_request": len(queries[0]), "sql": queries[0], "api": api, "bare": bare,
                               "ratio": ratio}
        results = {
            "benchmark": "latency",
            "run_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "data_dir": str(data_dir),
            "data": scale,
            "prepare_seconds": prep,
            "concurrency": args.concurrency,
            "requests_per_endpoint": args.requests,
            "warmup_per_endpoint": args.warmup,
            "engine": bare_engine.name,
            "server": "uvicorn, 1 worker, separate process, 127.0.0.1",
            "api_result_cache": not args.no_result_cache,
            "bare_engine": "DuckDB serving engine (gold/ops snapshots in memory), no result cache, same process",
            "server_mean_ms_by_route": server_means(base),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "load_avg_1m_start": round(load_avg_start, 2), "load_avg_1m_end": round(os.getloadavg()[0], 2)},
            "endpoints": endpoints,
        }
    finally:
        stop_server(proc)
    suffix = "-nocache" if args.no_result_cache else ""
    out = args.out or RESULTS / f"latency-{scale['scale'] or args.scale}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"[latency] wrote {out}")
    return results


if __name__ == "__main__":
    main()
