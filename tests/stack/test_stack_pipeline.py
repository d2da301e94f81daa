"""The `stack` profile for real: `lakecast stack up`, bronze -> silver -> gold at `tiny` on MinIO through the
Iceberg JDBC catalog, then the same gold answers from Spark SQL, Trino, pyiceberg and the embedded DuckDB engine
on the same snapshot. Every process is real; a component that cannot install or start fails the test.

The stack runs on its own ports (not the conf defaults, so a developer's `lakecast stack up` is not disturbed),
with installs cached in ~/.cache/lakecast/stack-cache (LAKECAST_TEST_STACK_CACHE): the first run on a machine
builds MinIO and downloads Trino (~11 min, docs/compose.md).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakecast.settings import PROJECT_ROOT, Settings

# slow for now: on a fresh machine the first run builds MinIO (518 s) and unpacks Trino (135 s) before the 279 s
# test itself, and it has not yet run from an empty cache in CI. Run it with `uv run pytest -m slow tests/stack`.
# The acceptance wants it in the default run once .ci/run installs the stack ahead of the tests.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(3000)]

PORTS = {"minio": 19100, "console": 19101, "postgres": 15433, "trino": 18090}
CACHE = Path(os.environ.get("LAKECAST_TEST_STACK_CACHE", Path.home() / ".cache" / "lakecast" / "stack-cache"))

QUERIES = {
    "sales_by_location_year": (
        "SELECT location_id, year(month_start) AS y, count(*) AS n, sum(qty) AS qty, sum(revenue) AS revenue "
        "FROM gold.fact_sales_monthly GROUP BY location_id, year(month_start) ORDER BY location_id, y"
    ),
    "sales_since": (  # a range filter on the partition source column (years(month_start))
        "SELECT count(*) AS n, sum(qty) AS qty FROM gold.fact_sales_monthly WHERE month_start >= DATE '2024-03-01'"
    ),
    "dfu_classes": (
        "SELECT abc_class, xyz_class, count(*) AS n, sum(qty_12m) AS qty_12m FROM gold.dim_dfu "
        "GROUP BY abc_class, xyz_class ORDER BY abc_class, xyz_class"
    ),
}
TABLES = ("gold.fact_sales_monthly", "gold.dim_dfu")

SPARK_SCRIPT = """
import json, sys
from lakecast.settings import Settings
from lakecast.runtime.spark import get_spark
queries, tables = json.loads(sys.argv[1]), json.loads(sys.argv[2])
spark = get_spark(Settings())
out = {"answers": {}, "snapshots": {}}
for name, sql in queries.items():
    out["answers"][name] = [r.asDict() for r in spark.sql(sql).collect()]
for fqn in tables:
    rows = spark.sql(f"SELECT snapshot_id FROM {fqn}.refs WHERE name = 'main'").collect()
    out["snapshots"][fqn] = rows[0]["snapshot_id"]
print("RESULT " + json.dumps(out))
"""


def _env(data_dir: Path) -> dict[str, str]:
    h = "127.0.0.1"
    return {
        "LAKECAST_PROFILE": "stack",
        "LAKECAST_DATA_DIR": str(data_dir),
        "LAKECAST_STACK__CACHE_DIR": str(CACHE),
        "LAKECAST_STACK__MINIO_PORT": str(PORTS["minio"]),
        "LAKECAST_STACK__MINIO_CONSOLE_PORT": str(PORTS["console"]),
        "LAKECAST_STACK__POSTGRES_PORT": str(PORTS["postgres"]),
        "LAKECAST_STACK__TRINO_PORT": str(PORTS["trino"]),
        "LAKECAST_CATALOG__URI": f"jdbc:postgresql://{h}:{PORTS['postgres']}/iceberg_catalog",
        "LAKECAST_CATALOG__S3_ENDPOINT": f"http://{h}:{PORTS['minio']}",
        "LAKECAST_ENGINE__TRINO_PORT": str(PORTS["trino"]),
        "LAKECAST_SPARK__MASTER": "local[2]",
        "LAKECAST_SPARK__DRIVER_MEMORY": "2g",
        "LAKECAST_SPARK__SHUFFLE_PARTITIONS": "2",
        "LAKECAST_MLFLOW__ENABLED": "false",
    }


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Settings, dict[str, str]]]:
    """The stack started on test ports, with a `tiny` bronze -> silver -> gold run on it; stopped afterwards."""
    from lakecast.stack import lifecycle

    # not pytest's tmp_path: /tmp/pytest-of-<user> is re-tightened to 0700 by every pytest session, which locks
    # the `pgserver` OS user (Postgres never runs as root) out of its PGDATA (lakecast.appdb.testing)
    data_dir = Path(tempfile.mkdtemp(prefix="lakecast-stack-"))
    env = _env(data_dir)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        settings = Settings()
    assert settings.catalog.type == "jdbc" and settings.stack.trino_port == PORTS["trino"]
    full_env = {**os.environ, **env}
    try:
        lifecycle.up(settings)
        for args in (["generate", "--scale", "tiny", "--seed", "7"], ["run", "bronze", "silver", "gold"]):
            proc = subprocess.run([sys.executable, "-m", "lakecast_cli", *args], env=full_env, cwd=PROJECT_ROOT,
                                  capture_output=True, text=True, timeout=1500)
            tail = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            assert proc.returncode == 0, f"lakecast {' '.join(args)} failed:\n{tail}"
        yield settings, full_env
    finally:
        from lakecast.appdb import server

        lifecycle.down(settings)
        server.stop(settings)  # the app database the jobs (and the API test) started under the data dir
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def spark_answers(stack: tuple[Settings, dict[str, str]]) -> dict[str, Any]:
    """Spark SQL's answers and the current snapshot of each table, from a fresh driver on the stack profile."""
    _, env = stack
    proc = subprocess.run([sys.executable, "-c", SPARK_SCRIPT, json.dumps(QUERIES), json.dumps(TABLES)], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]], who: str) -> None:
    assert len(got) == len(want), f"{who}: {len(got)} rows, Spark {len(want)}"
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), f"{who}: columns {sorted(g)} vs Spark {sorted(w)}"
        for key, value in w.items():
            if isinstance(value, float) or isinstance(g[key], float):
                assert math.isclose(float(g[key]), float(value), rel_tol=1e-9, abs_tol=1e-9), (who, key, g, w)
            else:
                assert g[key] == value, (who, key, g, w)


def test_stack_is_healthy_and_tables_live_in_the_object_store(stack: tuple[Settings, dict[str, str]]) -> None:
    from pyarrow import fs

    from lakecast.stack import lifecycle
    from lakecast.stack.catalog import pyiceberg_catalog

    settings, _ = stack
    rows = {r.name: r for r in lifecycle.status(settings)}
    assert sorted(rows) == ["minio", "postgres", "trino"]
    assert all(r.healthy and r.pid for r in rows.values()), rows
    assert rows["trino"].version == "476" and rows["postgres"].version.startswith("18")
    c = settings.catalog
    s3 = fs.S3FileSystem(access_key=c.s3_access_key, secret_key=c.s3_secret_key, scheme="http",
                         endpoint_override=f"127.0.0.1:{PORTS['minio']}", region=c.s3_region)
    for fqn in TABLES:
        location = pyiceberg_catalog(settings).load_table(fqn).metadata_location
        assert location.startswith(f"s3://warehouse/{fqn.replace('.', '/')}/metadata/"), location
        assert s3.get_file_info(location.removeprefix("s3://")).type == fs.FileType.File


def test_gold_agrees_across_spark_trino_pyiceberg_and_duckdb(
    stack: tuple[Settings, dict[str, str]], spark_answers: dict[str, Any]
) -> None:
    from lakecast.runtime.engine import DuckDBEngine, TrinoEngine
    from lakecast.stack.catalog import pyiceberg_catalog

    settings, _ = stack
    want, snapshots = spark_answers["answers"], spark_answers["snapshots"]
    assert want["sales_by_location_year"] and want["dfu_classes"] and want["sales_since"][0]["n"] > 0

    trino = TrinoEngine(settings)
    duck = DuckDBEngine(settings.model_copy(update={"engine": settings.engine.model_copy(update={"kind": "duckdb"})}),
                        materialize=["gold"])
    for fqn in TABLES:
        assert trino.snapshot_id(fqn) == snapshots[fqn]
        assert duck.snapshot_id(fqn) == snapshots[fqn]
    for name, sql in QUERIES.items():
        _same(trino.query(sql), want[name], f"trino {name}")
        _same(duck.query(sql), want[name], f"duckdb {name}")

    # pyiceberg: the same snapshot, aggregated in pandas
    cat = pyiceberg_catalog(settings)
    sales = cat.load_table("gold.fact_sales_monthly").scan(snapshot_id=snapshots["gold.fact_sales_monthly"])
    df = sales.to_pandas()
    df["y"] = df["month_start"].map(lambda d: d.year)
    grouped = (df.groupby(["location_id", "y"], as_index=False)
                 .agg(n=("qty", "size"), qty=("qty", "sum"), revenue=("revenue", "sum"))
                 .sort_values(["location_id", "y"]))
    _same([{k: (int(v) if k in ("y", "n") else v) for k, v in r.items()} for r in grouped.to_dict("records")],
          want["sales_by_location_year"], "pyiceberg sales_by_location_year")
    import datetime as dt

    since = df[df["month_start"] >= dt.date(2024, 3, 1)]
    _same([{"n": len(since), "qty": float(since["qty"].sum())}], want["sales_since"], "pyiceberg sales_since")
    dfu = cat.load_table("gold.dim_dfu").scan(snapshot_id=snapshots["gold.dim_dfu"]).to_pandas()
    classes = (dfu.groupby(["abc_class", "xyz_class"], as_index=False)
                  .agg(n=("dfu_id", "size"), qty_12m=("qty_12m", "sum")).sort_values(["abc_class", "xyz_class"]))
    _same([{k: (int(v) if k == "n" else v) for k, v in r.items()} for r in classes.to_dict("records")],
          want["dfu_classes"], "pyiceberg dfu_classes")


API_CALLS = (
    "/meta/dimensions?max_values=1000",
    "/meta/search?q=1&kind=item&limit=50",
    "/meta/search?q=L&kind=location&limit=50",
    "/quarantine/summary",
    "/gates?limit=500",
)


def _api_answers(settings: Settings) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(settings, seed_demo_users=True)) as client:
        r = client.post("/auth/token", data={"username": "viewer", "password": "lakecast"})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        out = {}
        for path in API_CALLS:
            resp = client.get(path, headers=auth)
            assert resp.status_code == 200, (settings.engine.kind, path, resp.text)
            out[path] = resp.json()
        return out


def _same_json(got: Any, want: Any, where: str) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (where, got, want)
        for key in want:
            _same_json(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same_json(g, w, f"{where}[{i}]")
    elif isinstance(want, float) or isinstance(got, float):
        assert math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9), (where, got, want)
    else:
        assert got == want, (where, got, want)


def test_api_on_trino_serves_the_embedded_engines_json(stack: tuple[Settings, dict[str, str]]) -> None:
    """The same dashboard endpoints, once with Trino as the serving engine and once with embedded DuckDB."""
    settings, _ = stack
    assert settings.engine.kind == "trino"
    on_trino = _api_answers(settings)
    duck = settings.model_copy(update={"engine": settings.engine.model_copy(update={"kind": "duckdb"})})
    on_duckdb = _api_answers(duck)
    assert on_duckdb["/meta/dimensions?max_values=1000"] and on_duckdb["/gates?limit=500"]["items"]
    for path in API_CALLS:
        _same_json(on_trino[path], on_duckdb[path], path)


def test_down_stops_every_component(stack: tuple[Settings, dict[str, str]]) -> None:
    from lakecast.stack import lifecycle
    from lakecast.stack.process import pid_alive

    settings, _ = stack
    pids = {r.name: r.pid for r in lifecycle.status(settings)}
    assert sorted(lifecycle.down(settings)) == ["minio", "postgres", "trino"]
    after = lifecycle.status(settings)
    assert not any(r.healthy or r.pid for r in after), after
    assert not any(pid_alive(pid, None) for pid in pids.values()), pids
