"""A failing gate blocks the gold publish; a killed job leaves the last committed snapshot serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from contracts.gold import GOLD_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.runtime import iceberg
from spark_jobs import gold, io
from spark_jobs.gates import GateFailure

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def test_failing_gate_blocks_publish_and_keeps_last_good_snapshot(spark, pipeline, engine):
    s = pipeline.settings
    sales = io.table_name(s, SILVER_TABLES["sales_lines"])
    silver_snapshot = io.snapshot_id(spark, s, SILVER_TABLES["sales_lines"])
    gold_before = {n: io.snapshot_id(spark, s, spec) for n, spec in GOLD_TABLES.items()}
    served_before = engine.query("SELECT count(*) AS n, sum(qty) AS q FROM gold.fact_sales_monthly")[0]
    cutoff = spark.table(sales).agg(F.expr("percentile_approx(sale_date, 0.7)")).first()[0]
    try:
        # Lose most of silver's history: gold row counts drift far beyond the limit.
        spark.sql(f"DELETE FROM {sales} WHERE sale_date < DATE '{cutoff}'")
        with pytest.raises(GateFailure) as info:
            gold.run(spark, s)
        failed = info.value.failed
        assert any(g.gate == "row_count_drift" and g.table_name == "gold.agg_loc_week" for g in failed)
        assert "publish blocked" in str(info.value)
        # Nothing was published: every gold table still has its previous snapshot, served unchanged.
        assert {n: io.snapshot_id(spark, s, spec) for n, spec in GOLD_TABLES.items()} == gold_before
        assert engine.query("SELECT count(*) AS n, sum(qty) AS q FROM gold.fact_sales_monthly")[0] == served_before
        # The failure is recorded.
        recorded = (spark.table(f"{s.catalog.name}.ops.gate_results")
                    .where((F.col("passed") == F.lit(False)) & (F.col("gate") == "row_count_drift")).count())
        assert recorded >= 1
    finally:
        spark.sql(f"CALL {s.catalog.name}.system.rollback_to_snapshot('silver.sales_lines', {silver_snapshot})")
    assert io.snapshot_id(spark, s, SILVER_TABLES["sales_lines"]) == silver_snapshot


def _new_data_files(warehouse: Path, since: float) -> list[Path]:
    root = warehouse / "silver"
    return [p for p in root.rglob("*.parquet") if "/data/" in str(p) and p.stat().st_mtime > since]


def _content(spark, fqn):
    spark.sql(f"REFRESH TABLE {fqn}")
    return sorted((tuple(r) for r in spark.table(fqn).collect()), key=repr)


def test_job_killed_mid_write_leaves_previous_snapshot_readable(spark, pipeline, engine, tmp_path):
    s = pipeline.settings
    spec = SILVER_TABLES["sales_lines"]
    name = io.table_name(s, spec)
    before_rows = _content(spark, name)
    before_served = engine.query("SELECT count(*) AS n, sum(qty) AS q FROM silver.sales_lines")[0]
    before_snapshot = io.snapshot_id(spark, s, spec)
    before_metadata = iceberg.metadata_location(Path(s.warehouse) / "silver" / "sales_lines")
    assert before_snapshot is not None and engine.snapshot_id("silver.sales_lines") == before_snapshot
    env = {**os.environ, "LAKECAST_DATA_DIR": str(s.data_path), "LAKECAST_CATALOG__NAME": s.catalog.name,
           "LAKECAST_SPARK__MASTER": "local[1]", "LAKECAST_SPARK__DRIVER_MEMORY": "1g",
           "LAKECAST_SPARK__SHUFFLE_PARTITIONS": "2"}
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "lakecast_cli", "run", "silver"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_mid_write = False
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            if _new_data_files(Path(s.warehouse), started):
                os.killpg(proc.pid, signal.SIGKILL)  # the JVM too
                killed_mid_write = True
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert killed_mid_write, "the job finished before any data file appeared; could not kill it mid-write"
    # The reason the content is intact: the killed job committed nothing to the table. Its snapshot (Spark's
    # main branch, the serving engine's, and the current metadata file) is exactly the one before the run.
    # (sales_lines is written after the master tables, whose first data file triggers the kill.)
    assert io.snapshot_id(spark, s, spec) == before_snapshot
    assert engine.snapshot_id("silver.sales_lines") == before_snapshot
    assert iceberg.metadata_location(Path(s.warehouse) / "silver" / "sales_lines") == before_metadata
    # Readable, and the content is a whole snapshot (silver is deterministic, so old == new content).
    assert _content(spark, name) == before_rows
    assert engine.query("SELECT count(*) AS n, sum(qty) AS q FROM silver.sales_lines")[0] == before_served
    # The re-run succeeds and gives the same content.
    from spark_jobs import silver

    silver.run(spark, s)
    assert _content(spark, name) == before_rows
    assert io.snapshot_id(spark, s, spec) != before_snapshot  # a new commit, with the same content
