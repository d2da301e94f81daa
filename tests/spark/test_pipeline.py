"""End-to-end pipeline invariants on generated `tiny` data: accounting, quarantine, SCD2, idempotency."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from pyspark.sql import functions as F

from contracts.gold import GOLD_TABLES
from contracts.registry import TABLES
from spark_jobs import io
from tests.spark.run_lineage import comparable, rows

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def _t(settings, fqn):
    return f"{settings.catalog.name}.{fqn}"


def test_every_batch_accounts_for_every_landed_row(spark, pipeline):
    s = pipeline.settings
    recon = {(r.source_table, r.batch_id): r  # the current accounting: each batch's highest seq
             for r in spark.table(_t(s, "ops.batch_reconciliation")).orderBy("seq").collect()}
    for source in ("sales_lines", "item_master", "location_master", "customer_master", "external_forecast"):
        landed = {r["_batch_id"]: r["count"] for r in
                  spark.table(_t(s, f"bronze.{source}")).groupBy("_batch_id").count().collect()}
        assert landed, f"nothing landed for {source}"
        quarantined = {r["batch_id"]: r["count"] for r in spark.table(_t(s, "silver.quarantine"))
                       .where(F.col("source_table") == f"bronze.{source}").groupBy("batch_id").count().collect()}
        for batch, n in landed.items():
            rec = recon[(f"bronze.{source}", batch)]
            assert rec.rows_landed == n
            assert rec.rows_accepted + rec.rows_quarantined == n
            assert rec.rows_quarantined == quarantined.get(batch, 0)
    # For facts the accepted rows are exactly silver's rows of that batch.
    silver = {r["_batch_id"]: r["count"] for r in
              spark.table(_t(s, "silver.sales_lines")).groupBy("_batch_id").count().collect()}
    for (table, batch), rec in recon.items():
        if table == "bronze.sales_lines":
            assert silver.get(batch, 0) == rec.rows_accepted


def test_landed_rows_equal_generated_rows(spark, pipeline):
    s = pipeline.settings
    for source, info in pipeline.manifest["sources"].items():
        assert spark.table(_t(s, f"bronze.{source}")).count() == info["rows"], source


def test_quarantine_names_a_rule_for_every_row_and_matches_injected_mess(spark, pipeline):
    s = pipeline.settings
    q = spark.table(_t(s, "silver.quarantine"))
    assert q.where(F.col("rule").isNull() | (F.col("rule") == "")).count() == 0
    assert q.where(F.col("raw_payload").isNull()).count() == 0
    injected: dict[str, int] = {}
    for batch in pipeline.manifest["sources"]["sales_lines"]["batches"].values():
        for kind, n in batch["messy"].items():
            injected[kind] = injected.get(kind, 0) + n
    got = {r["rule"]: r["count"] for r in q.where(F.col("source_table") == "bronze.sales_lines")
           .groupBy("rule").count().collect()}
    assert sum(got.values()) == sum(injected.values())
    for kind in ("negative_qty", "non_numeric_qty", "unknown_item", "unknown_location", "unknown_customer",
                 "duplicate_line"):
        assert got.get(kind, 0) == injected.get(kind, 0), kind
    # A blank date is a missing field; other bad dates are bad_date.
    assert got.get("bad_date", 0) + got.get("missing_required", 0) == (
        injected.get("bad_date", 0) + injected.get("missing_required", 0))


def test_silver_sales_keys_are_unique_and_resolve(spark, pipeline):
    s = pipeline.settings
    sales = spark.table(_t(s, "silver.sales_lines"))
    assert sales.count() == sales.select("line_id").distinct().count()
    items = spark.table(_t(s, "silver.item")).select("item_id").distinct()
    assert sales.join(items, "item_id", "left_anti").count() == 0
    assert sales.where("qty < 0").count() == 0


def test_scd2_history_from_master_snapshots(spark, pipeline):
    s = pipeline.settings
    items = spark.table(_t(s, "silver.item"))
    # Every item has exactly one current version, and versions tile time without gaps or overlaps.
    assert items.groupBy("item_id").agg(F.sum(F.col("is_current").cast("int")).alias("c")).where("c != 1").count() == 0
    rows = sorted(items.collect(), key=lambda r: (r.item_id, r.valid_from))
    changed = 0
    for a, b in itertools.pairwise(rows):
        if a.item_id == b.item_id:
            changed += 1
            assert a.valid_to == b.valid_from and not a.is_current
            attrs = [c for c in a.asDict() if c not in ("valid_from", "valid_to", "is_current")]
            assert [a[c] for c in attrs] != [b[c] for c in attrs], "a new version must change an attribute"
    assert changed > 0, "generator snapshots should change some item attributes"


def test_scd2_as_of_query_returns_attributes_valid_then(spark, pipeline, engine):
    """Landed snapshot values are what an as-of query returns for a day inside each version."""
    s = pipeline.settings
    bronze = spark.table(_t(s, "bronze.item_master")).select("item_id", "brand", "effective_date").collect()
    by_item: dict[str, list] = {}
    for r in bronze:
        if r.item_id and r.effective_date:
            by_item.setdefault(r.item_id.strip(), []).append(r)
    versions = spark.table(_t(s, "gold.dim_item")).groupBy("item_id").count().where("count > 1").collect()
    assert versions
    item_id = sorted(v.item_id for v in versions)[0]
    for snap in by_item[item_id]:
        day = dt.date.fromisoformat(snap.effective_date.strip()) + dt.timedelta(days=1)
        sql = (f"SELECT brand FROM gold.dim_item WHERE item_id = '{item_id}' "
               f"AND valid_from <= DATE '{day}' AND DATE '{day}' < valid_to")
        got = engine.query(sql)
        assert len(got) == 1
        assert got[0]["brand"] == (snap.brand.strip() or None)
        spark_got = spark.sql(sql.replace("gold.dim_item", _t(s, "gold.dim_item"))).collect()
        assert [r.brand for r in spark_got] == [got[0]["brand"]]


def test_gold_published_with_all_gates_passing(spark, pipeline):
    gold = pipeline.results["gold"]
    assert gold.published
    assert all(g.passed for g in gold.gates)
    assert set(gold.snapshots) == set(GOLD_TABLES)
    recorded = spark.table(_t(pipeline.settings, "ops.gate_results")).where(F.col("run_id") == gold.run_id)
    assert recorded.count() == len(gold.gates)


def test_monthly_fact_matches_silver_lines(spark, pipeline):
    s = pipeline.settings
    lines = spark.table(_t(s, "silver.sales_lines")).agg(F.sum("qty")).first()[0]
    monthly = spark.table(_t(s, "gold.fact_sales_monthly")).agg(F.sum("qty")).first()[0]
    weekly = spark.table(_t(s, "gold.agg_loc_week")).agg(F.sum("qty")).first()[0]
    assert monthly == pytest.approx(lines)
    assert weekly == pytest.approx(lines)
    # zero-filled: every DFU has a contiguous run of months up to the last month of data
    fsm = spark.table(_t(s, "gold.fact_sales_monthly"))
    spans = fsm.groupBy("dfu_id").agg(F.min("month_start").alias("lo"), F.max("month_start").alias("hi"),
                                      F.count(F.lit(1)).alias("n")).collect()
    last = max(r.hi for r in spans)
    for r in spans:
        assert r.hi == last
        assert r.n == (last.year - r.lo.year) * 12 + last.month - r.lo.month + 1


def _content(spark, settings, fqn):
    """Every row of the table, sorted; run lineage (new per run by design) left out (tests/spark/run_lineage.py)."""
    return rows(comparable(spark.table(_t(settings, fqn)), fqn))


def test_rerunning_every_job_leaves_content_unchanged(spark, pipeline):
    from spark_jobs.registry import PIPELINE, get_job

    s = pipeline.settings
    # the two logs a run appends to by design: its gate results and its run manifest
    logs = ("ops.gate_results", "ops.published_runs")
    names = [f for f in TABLES if f not in logs and io.exists(spark, s, TABLES[f])]
    before = {f: _content(spark, s, f) for f in names}
    results = {name: get_job(name).load()(spark, s) for name in PIPELINE}
    assert not results["bronze"].landed_batches, "unchanged batches must be skipped"
    assert results["gold"].published
    for f in names:
        assert _content(spark, s, f) == before[f], f"{f} changed on re-run"
