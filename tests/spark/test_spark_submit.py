"""The same jobs run through spark-submit on a standalone master + worker (127.0.0.1) give local mode's tables."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest

from contracts.forecast import FORECAST_TABLES
from contracts.gold import GOLD_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.settings import Settings
from lakecast_cli.submit import build_py_files, submit_command
from tests.spark.run_lineage import comparable

pytestmark = [pytest.mark.spark, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def standalone_cluster(tmp_path_factory):
    spark_home = Path(pyspark.__file__).parent
    spark_class = str(spark_home / "bin" / "spark-class")
    port, ui, wui = _free_port(), _free_port(), _free_port()
    logs = tmp_path_factory.mktemp("standalone-logs")
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "SPARK_WORKER_DIR": str(logs / "work")}
    with open(logs / "master.log", "w") as master_log, open(logs / "worker.log", "w") as worker_log:
        master = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(ui)], env=env, stdout=master_log, stderr=subprocess.STDOUT)
        _wait_port(port)
        worker = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host",
             "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", str(wui)],
            env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        _wait_port(wui)
        yield f"spark://127.0.0.1:{port}", env, logs
        for proc in (worker, master):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _norm(rows):
    def n(v):
        return float(f"{v:.9g}") if isinstance(v, float) and not math.isnan(v) else v
    return sorted((tuple(n(v) for v in r) for r in rows), key=str)


def test_spark_submit_builds_the_same_tables(spark, pipeline, standalone_cluster, tmp_path):
    master, env, logs = standalone_cluster
    local = pipeline.settings
    submitted = Settings(data_dir=tmp_path / "submitted", catalog={"name": "submitted"},
                         spark={"driver_memory": "1g", "shuffle_partitions": 2,
                                "extra_conf": {"spark.executor.memory": "1g", "spark.cores.max": "2"}})
    shutil.copytree(local.landing_dir, submitted.landing_dir)
    argv = submit_command(submitted, master, ["bronze", "silver", "gold", "forecast"], build_py_files(tmp_path))
    run_env = {**env, "LAKECAST_DATA_DIR": str(submitted.data_path), "LAKECAST_CATALOG__NAME": "submitted",
               "LAKECAST_CONF_DIR": str(Path(__file__).resolve().parents[2] / "conf"),
               # the forecast settings of the local session pipeline (tests/conftest.py)
               "LAKECAST_FORECAST__ML_PARAMS": '{"rounds": 20}', "LAKECAST_FORECAST__STAT_BUCKETS": "2",
               "LAKECAST_MLFLOW__ENABLED": "false"}
    done = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=900)
    (logs / "submit.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "[lakecast] job gold done" in done.stdout
    assert "[lakecast] job forecast done" in done.stdout
    assert "app-" in (logs / "master.log").read_text() or "Registering app" in (logs / "master.log").read_text()

    from lakecast.runtime.spark import get_spark

    get_spark(submitted)  # registers the `submitted` catalog on this session
    for spec in [*SILVER_TABLES.values(), *GOLD_TABLES.values(), *FORECAST_TABLES.values()]:
        # run lineage is new per run; everything else, backtests, forecasts and standing versions, must be equal
        ours = comparable(spark.table(f"{local.catalog.name}.{spec.fqn}"), spec.fqn)
        theirs = comparable(spark.table(f"submitted.{spec.fqn}"), spec.fqn)
        assert _norm(theirs.collect()) == _norm(ours.collect()), spec.fqn


def test_spark_submit_records_each_job_run_in_the_app_database(standalone_cluster, tmp_path):
    """A spark-submit run writes pipeline_runs like `lakecast run`: bronze succeeds, gold fails (no silver yet)."""
    import psycopg

    from lakecast.appdb.testing import temporary_server
    from lakecast.generate import generate

    master, env, logs = standalone_cluster
    with temporary_server() as (pg_settings, url):
        root = pg_settings.data_path
        submitted = Settings(data_dir=root, catalog={"name": "recorded"},
                             spark={"driver_memory": "1g", "shuffle_partitions": 2,
                                    "extra_conf": {"spark.executor.memory": "1g", "spark.cores.max": "2"}})
        generate(submitted.landing_dir, scale="tiny", seed=7, messy_fraction=0.0)
        argv = submit_command(submitted, master, ["bronze", "gold"], build_py_files(tmp_path))
        run_env = {**env, "LAKECAST_DATA_DIR": str(root), "LAKECAST_CATALOG__NAME": "recorded",
                   "LAKECAST_POSTGRES__MODE": "embedded",
                   "LAKECAST_CONF_DIR": str(Path(__file__).resolve().parents[2] / "conf"),
                   "LAKECAST_MLFLOW__ENABLED": "false"}
        done = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=600)
        (logs / "submit-recorded.log").write_text(done.stdout + done.stderr)
        assert done.returncode != 0 and "[lakecast] job bronze done" in done.stdout
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT job, status, finished_at IS NOT NULL, details FROM pipeline_runs "
                                "ORDER BY started_at").fetchall()
    assert [(job, status, finished) for job, status, finished, _ in rows] == [
        ("bronze", "succeeded", True), ("gold", "failed", True)]
    bronze, gold = rows[0][3], rows[1][3]
    assert bronze["rows"] and sum(bronze["rows"].values()) > 0 and bronze["seconds"] > 0
    assert "silver" in gold["error"].lower() and "blocked_by_gates" not in gold
