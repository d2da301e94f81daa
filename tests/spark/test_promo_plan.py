"""The promotion plan through bronze -> silver -> gold on the shared tiny pipeline: quarantine, row accounting,
every version kept in gold.fact_promo_plan, and the as-of read equal on the serving engine and Spark SQL."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from pyspark.sql import functions as F

from lakecast.forecast.promo import plan_as_of
from lakecast.generate import PROMO_PLAN_KINDS, SCALES, build_world
from lakecast.generate.promo_plan import clean_table

pytestmark = [pytest.mark.spark, pytest.mark.integration]

AS_OF = (
    "SELECT item_id, promo_month, discount_pct, status, published_at FROM ("
    " SELECT item_id, promo_month, discount_pct, status, published_at, row_number() OVER ("
    "  PARTITION BY item_id, promo_month"
    "  ORDER BY published_at DESC, CASE WHEN status = 'cancelled' THEN 0 ELSE 1 END, discount_pct DESC) AS rn"
    " FROM gold.fact_promo_plan WHERE published_at <= DATE '{d}'"
    ") AS v WHERE rn = 1{extra}"
)


def _t(settings, fqn):
    return f"{settings.catalog.name}.{fqn}"


def _plain(v):
    return v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v


def _both(spark, engine, settings, sql):
    duck = sorted(tuple(_plain(v) for v in r.values()) for r in engine.query(sql))
    spark_sql = re.sub(r"\bgold\.", f"{settings.catalog.name}.gold.", sql)
    return duck, sorted(tuple(r) for r in spark.sql(spark_sql).collect())


def test_bad_plan_rows_are_quarantined_under_their_rule_and_every_batch_reconciles(spark, pipeline):
    s = pipeline.settings
    src = pipeline.manifest["sources"]["promo_plan"]
    q = spark.table(_t(s, "silver.quarantine")).where(F.col("source_table") == "bronze.promo_plan")
    by_rule = {r["rule"]: r["count"] for r in q.groupBy("rule").count().collect()}
    assert by_rule == {k: n for k, n in src["messy"].items() if n}  # every injected kind under its own rule
    assert set(by_rule) == set(PROMO_PLAN_KINDS)
    for r in q.collect():  # the detail names the offending value, the payload keeps the row as landed
        assert r["detail"] and r["raw_payload"].startswith("{") and '"plan_id"' in r["raw_payload"]
    negative = q.where(F.col("rule") == "negative_discount").first()
    assert negative["detail"].startswith("`discount_pct` is negative: -")

    recon = {r["batch_id"]: r for r in spark.table(_t(s, "ops.batch_reconciliation"))
             .where(F.col("source_table") == "bronze.promo_plan").orderBy("seq").collect()}
    landed = {r["_batch_id"]: r["count"] for r in spark.table(_t(s, "bronze.promo_plan"))
              .groupBy("_batch_id").count().collect()}
    accepted = {r["_batch_id"]: r["count"] for r in spark.table(_t(s, "silver.promo_plan"))
                .groupBy("_batch_id").count().collect()}
    quarantined = {r["batch_id"]: r["count"] for r in q.groupBy("batch_id").count().collect()}
    assert set(recon) == set(landed) == set(src["batches"]) and len(recon) >= 3
    for batch, entry in src["batches"].items():
        rec = recon[batch]
        assert rec.rows_landed == landed[batch] == entry["rows"]
        assert rec.rows_landed == rec.rows_accepted + rec.rows_quarantined
        assert rec.rows_quarantined == quarantined.get(batch, 0) == entry["messy_total"]
        assert rec.rows_accepted == accepted.get(batch, 0) == entry["clean_rows"]


def test_gold_keeps_exactly_the_generated_plan_versions(spark, pipeline):
    s = pipeline.settings
    gold = {(r.plan_id, r.item_id, f"{r.promo_month:%Y-%m}", r.discount_pct, r.status, r.published_at.isoformat())
            for r in spark.table(_t(s, "gold.fact_promo_plan")).collect()}
    m = pipeline.manifest
    world = build_world(SCALES[m["scale"]], m["seed"], dt.date.fromisoformat(m["end_month"] + "-01"))
    clean = clean_table(world).to_pylist()
    generated = {(r["plan_id"], r["item_id"], r["promo_month"], float(r["discount_pct"]), r["status"],
                  r["published_at"]) for r in clean}
    assert len(clean) == sum(b["clean_rows"] for b in m["sources"]["promo_plan"]["batches"].values())
    assert gold == generated
    assert {r[4] for r in gold} == {"planned", "cancelled"}
    gates = [g for g in pipeline.results["gold"].gates if g.table_name == "gold.fact_promo_plan"]
    assert {g.gate for g in gates} >= {"not_null", "unique_key", "referential_integrity", "row_count_drift"}
    assert all(g.passed for g in gates)


@pytest.mark.parametrize("as_of", ["2024-12-31", "2025-06-30", "2026-09-30"])
def test_as_of_plan_agrees_on_duckdb_spark_and_the_pandas_helper(spark, engine, pipeline, as_of):
    s = pipeline.settings
    duck, sp = _both(spark, engine, s, AS_OF.format(d=as_of, extra=""))
    assert duck == sp and len(duck) >= 10
    # the forecast core's pandas helper reads the same plan as of the origin month (its last day is as_of)
    frame = spark.table(_t(s, "gold.fact_promo_plan")).toPandas()
    helper = plan_as_of(frame, pd.Timestamp(as_of))
    assert sorted((r.item_id, r.promo_month.date(), r.discount_pct, r.status, r.published_at.date())
                  for r in helper.itertuples()) == duck
    # a window across a year boundary of the years(promo_month) partitions prunes the same way on both engines
    y = int(as_of[:4])
    window = f" AND promo_month BETWEEN DATE '{y - 1}-11-01' AND DATE '{y}-02-01'"
    duck_w, sp_w = _both(spark, engine, s, AS_OF.format(d=as_of, extra=window))
    assert duck_w == sp_w and duck_w
    assert duck_w == [r for r in duck if dt.date(y - 1, 11, 1) <= r[1] <= dt.date(y, 2, 1)]
    # a later version published after as_of is never visible
    later = spark.table(_t(s, "gold.fact_promo_plan")).where(F.col("published_at") > F.lit(as_of)).count()
    assert all(r[4] <= dt.date.fromisoformat(as_of) for r in duck) and (later > 0 or as_of.startswith("2026"))
