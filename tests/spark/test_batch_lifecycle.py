"""Withdraw and replay a landing batch (issue 18 item 3), on a `tiny` lake of its own with a real Postgres.

A clean lake is published through gold and every gold table is collected. Then a bad sales batch lands whose
lines all pass silver's rules (plausible quantities for known DFUs, two lines dated 5 days after the batch date,
which adds a month to every DFU's zero-filled series) and an external-forecast batch re-sends 5 rows of the
oldest delivery. Withdrawing both and rerunning silver and gold must give back every gold table exactly as it
was before the batches arrived; the withdrawals are audited in Postgres; a bronze rerun does not bring them back;
a replay of the corrected sales file publishes exactly its rows; the old external batch's reconciliation rows
are never rewritten.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from contracts.gold import GOLD_TABLES
from lakecast.appdb.db import connect, one_row
from lakecast.appdb.testing import temporary_server
from lakecast.runtime.spark import get_spark
from lakecast.settings import PostgresSettings
from spark_jobs import batches, bronze, gold, io, silver

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(1500)]

BAD = "2026-10-31-late"
RESEND = "2026-11-resend"
HEADER = "line_id,sale_date,item_id,location_id,customer_id,qty,unit_price,promo_flag"


def _gold(spark, s) -> dict[str, list[tuple]]:
    """Every gold table the gold job publishes, as sorted row tuples."""
    out = {}
    for name, spec in GOLD_TABLES.items():
        if io.exists(spark, s, spec):
            out[name] = sorted((tuple(r) for r in spark.table(io.table_name(s, spec)).collect()), key=repr)
    return out


def _table(lake, fqn):
    return lake["spark"].table(f"{lake['settings'].catalog.name}.{fqn}")


def _cycle(spark, s, *, with_bronze=True):
    b = bronze.run(spark, s) if with_bronze else None
    silver.run(spark, s)
    g = gold.run(spark, s)
    assert g.published, [x.detail for x in g.gates if not x.passed]
    return b


@pytest.fixture(scope="module")
def lake(isolated_settings):
    from lakecast.generate import generate

    with temporary_server() as (_, url):
        base = isolated_settings("batchlife")
        s = base.model_copy(update={"postgres": PostgresSettings(mode="external", url=url)})
        generate(s.landing_dir, scale="tiny", seed=7, messy_fraction=0.02)
        spark = get_spark(s)
        _cycle(spark, s)
        before = _gold(spark, s)
        recon_before = {tuple(r) for r in _table({"spark": spark, "settings": s}, "ops.batch_reconciliation")
                        .collect()}

        # a bad sales batch: plausible values for known DFUs, two lines 5 days after its batch date
        dfus = (spark.table(io.table_name(s, GOLD_TABLES["fact_sales_monthly"])).where("qty > 0")
                .select("item_id", "location_id").distinct().orderBy("item_id", "location_id").limit(6).collect())
        customer = spark.table(f"{s.catalog.name}.silver.customer").orderBy("customer_id").first()["customer_id"]
        lines = [f"SL-LATE-{i:03d},2026-10-{10 + i:02d},{d.item_id},{d.location_id},{customer if i % 2 else ''},"
                 f"{20 + i},3.25,0" for i, d in enumerate(dfus)]
        lines += [f"SL-LATE-N{i},2026-11-05,{dfus[i].item_id},{dfus[i].location_id},,40,3.25,1" for i in range(2)]
        (s.landing_dir / "sales_lines" / BAD).mkdir(parents=True)
        (s.landing_dir / "sales_lines" / BAD / "late.csv").write_text("\n".join([HEADER, *lines]) + "\n")

        # an external-forecast batch re-sending 5 accepted rows of the oldest delivery with other quantities
        ext = spark.table(f"{s.catalog.name}.silver.external_forecast")
        oldest = ext.agg(F.min("_batch_id")).first()[0]
        resent = ext.where(F.col("_batch_id") == oldest).orderBy("item_id", "location_id", "target_month", "lag") \
            .limit(5).collect()
        (s.landing_dir / "external_forecast" / RESEND).mkdir(parents=True)
        (s.landing_dir / "external_forecast" / RESEND / "resend.csv").write_text(
            "item_id,location_id,fcst_origin,target_month,lag,fcst_qty\n" + "".join(
                f"{r.item_id},{r.location_id},{r.fcst_origin:%Y-%m},{r.target_month:%Y-%m},{r.lag},"
                f"{r.fcst_qty + 7}\n" for r in resent))
        _cycle(spark, s)
        with_bad = _gold(spark, s)
        yield {"settings": s, "spark": spark, "url": url, "before": before, "with_bad": with_bad,
               "recon_before": recon_before, "oldest_external": oldest, "lines": lines}


def test_the_bad_batches_passed_silver_and_moved_gold(lake):
    accepted = _table(lake, "silver.sales_lines").where(F.col("_batch_id") == BAD).count()
    assert accepted == len(lake["lines"]) == 8
    changed = {n for n in lake["before"] if lake["before"][n] != lake["with_bad"][n]}
    assert {"fact_sales_monthly", "dim_dfu", "agg_loc_week", "agg_loc_item_week", "agg_loc_customer_week",
            "fact_external_forecast_monthly"} <= changed  # dim_calendar spans whole years: unchanged
    m = GOLD_TABLES["fact_sales_monthly"].column_names().index("month_start")
    before, bad = lake["before"]["fact_sales_monthly"], lake["with_bad"]["fact_sales_monthly"]
    months = {r[m] for r in bad} - {r[m] for r in before}
    assert months == {dt.date(2026, 11, 1)}


def test_a_superseding_delivery_adds_reconciliation_rows_and_rewrites_none(lake):
    recon = _table(lake, "ops.batch_reconciliation")
    rows = {tuple(r) for r in recon.collect()}
    assert lake["recon_before"] <= rows  # every earlier row is still there, unchanged
    old = [r for r in recon.where(F.col("batch_id") == lake["oldest_external"]).orderBy("seq").collect()
           if r.source_table == "bronze.external_forecast"]
    assert [(r.event, r.other_batch, r.rows) for r in old] == [("received", None, old[0].rows_landed),
                                                               ("superseded_by", RESEND, 5)]
    assert old[1].rows_accepted == old[0].rows_accepted - 5
    assert old[1].rows_quarantined == old[0].rows_quarantined + 5
    assert all(r.rows_landed == r.rows_accepted + r.rows_quarantined for r in recon.collect())


def test_withdraw_needs_a_reachable_audit_log_and_changes_nothing_without_it(lake):
    spark, s = lake["spark"], lake["settings"]
    down = s.model_copy(update={"postgres": PostgresSettings(mode="external",
                                                             url="postgresql://nobody@/none?host=/nonexistent")})
    snap = io.snapshot_id(spark, s, bronze.BRONZE_TABLES["sales_lines"])
    with pytest.raises(batches.BatchError, match="audit log\\) is unreachable, so nothing was changed"):
        batches.withdraw(spark, down, BAD, reason="test", actor="tester")
    assert io.snapshot_id(spark, s, bronze.BRONZE_TABLES["sales_lines"]) == snap
    assert batches.lifecycle_state(spark, s) == {}


def test_a_failure_inside_a_withdrawal_rolls_the_tables_back_and_audits_nothing(lake):
    """The mechanism withdraw runs in (spark_jobs.batches), failing after the bronze rows are gone."""
    from contracts.bronze import BATCH_LIFECYCLE, BRONZE_TABLES
    from lakecast.appdb.audit import write_audit

    spark, s = lake["spark"], lake["settings"]
    spec = BRONZE_TABLES["sales_lines"]
    snaps = {x.fqn: io.snapshot_id(spark, s, x) for x in (spec, BATCH_LIFECYCLE)}
    with (pytest.raises(RuntimeError, match="killed"),
          batches.all_or_nothing(spark, s, [BATCH_LIFECYCLE, spec]), batches.audit_transaction(s) as conn):
        write_audit(conn, actor="tester", action="batch.withdraw", entity="landing_batch", entity_id="x/y")
        io.overwrite(spark, s, spec, spark.createDataFrame([], io.spark_schema(spec)),
                     where=F.col("_batch_id") == BAD)
        assert _table(lake, "bronze.sales_lines").where(F.col("_batch_id") == BAD).count() == 0
        raise RuntimeError("killed")
    assert {x.fqn: io.snapshot_id(spark, s, x) for x in (spec, BATCH_LIFECYCLE)} == snaps
    assert _table(lake, "bronze.sales_lines").where(F.col("_batch_id") == BAD).count() == 8
    with connect(lake["url"]) as conn:
        assert one_row(conn.execute("SELECT count(*) AS n FROM audit_log WHERE entity = 'landing_batch'"))["n"] == 0


def test_withdraw_and_rerun_restore_every_gold_table_exactly(lake):
    spark, s = lake["spark"], lake["settings"]
    w1 = batches.withdraw(spark, s, BAD, reason="dates after the batch date, totals shifted", actor="tester")
    w2 = batches.withdraw(spark, s, RESEND, reason="resent by mistake", actor="tester",
                          source="external_forecast")
    assert w1.per_source == {"sales_lines": {"files": 1, "bronze_rows": 8, "silver_rows": 8, "quarantined_rows": 0}}
    assert w2.per_source["external_forecast"]["bronze_rows"] == 5
    assert _table(lake, "bronze.sales_lines").where(F.col("_batch_id") == BAD).count() == 0
    _cycle(spark, s, with_bronze=False)
    after = _gold(spark, s)
    for name, rows in lake["before"].items():
        assert after[name] == rows, name
    with connect(lake["url"]) as conn:
        audit = conn.execute("SELECT actor, action, entity_id, before, after FROM audit_log "
                             "WHERE entity = 'landing_batch' ORDER BY id").fetchall()
    assert [(a["actor"], a["action"], a["entity_id"]) for a in audit] == [
        ("tester", "batch.withdraw", f"sales_lines/{BAD}"), ("tester", "batch.withdraw", f"external_forecast/{RESEND}")]
    assert audit[0]["after"]["reason"] == "dates after the batch date, totals shifted"
    assert audit[0]["before"]["bronze_rows"] == 8
    life = {(r.source, r.batch_id): r for r in _table(lake, "ops.batch_lifecycle").collect()}
    assert life[("sales_lines", BAD)].audit_id == w1.audit_ids[0]
    assert life[("sales_lines", BAD)].reason == "dates after the batch date, totals shifted"
    listed = {(r["source"], r["batch_id"]): r for r in batches.list_all(spark, s)}
    assert listed[("sales_lines", BAD)]["status"] == "withdrawn"
    assert (listed[("sales_lines", BAD)]["landed"], listed[("sales_lines", BAD)]["accepted"]) == (0, 0)
    old = (_table(lake, "ops.batch_reconciliation").where((F.col("batch_id") == lake["oldest_external"])
                                                          & (F.col("source_table") == "bronze.external_forecast"))
           .orderBy("seq").collect())
    assert [(r.event, r.other_batch, r.rows) for r in old][1:] == [("superseded_by", RESEND, 5),
                                                                   ("superseded_by", RESEND, 0)]


def test_a_bronze_rerun_does_not_bring_a_withdrawn_batch_back(lake):
    spark, s = lake["spark"], lake["settings"]
    result = bronze.run(spark, s)
    assert result.withdrawn_batches == {"sales_lines": [BAD], "external_forecast": [RESEND]}
    assert _table(lake, "bronze.sales_lines").where(F.col("_batch_id") == BAD).count() == 0
    with pytest.raises(batches.BatchError, match="already withdrawn"):
        batches.withdraw(spark, s, BAD, reason="again", actor="tester")


def test_replay_of_a_corrected_file_publishes_exactly_its_rows(lake):
    spark, s = lake["spark"], lake["settings"]
    corrected = [ln for ln in lake["lines"] if ",2026-11-05," not in ln][:3]  # the October lines only, 3 of them
    (s.landing_dir / "sales_lines" / BAD / "late.csv").write_text("\n".join([HEADER, *corrected]) + "\n")
    r = batches.replay(spark, s, BAD, actor="tester", reason="corrected delivery", source="sales_lines")
    assert r.per_source == {"sales_lines": {"files": 1, "bronze_rows": 0}}
    b = _cycle(spark, s)
    assert b.landed_batches.get("sales_lines") == [BAD] and "sales_lines" not in b.withdrawn_batches
    got = {(x.line_id, x.qty) for x in _table(lake, "silver.sales_lines").where(F.col("_batch_id") == BAD).collect()}
    assert got == {(ln.split(",")[0], float(ln.split(",")[5])) for ln in corrected}
    # gold.fact_sales_monthly = the clean numbers + the 3 corrected lines, summed by hand
    spec = GOLD_TABLES["fact_sales_monthly"]
    cols = spark.table(io.table_name(s, spec)).columns
    key = [cols.index(c) for c in ("item_id", "location_id", "month_start", "qty")]
    expected = {(r[key[0]], r[key[1]], r[key[2]]): r[key[3]] for r in lake["before"]["fact_sales_monthly"]}
    for ln in corrected:
        _, day, item, loc, _, qty, _, _ = ln.split(",")
        expected[(item, loc, dt.date.fromisoformat(day).replace(day=1))] += float(qty)
    now = {(x.item_id, x.location_id, x.month_start): x.qty for x in spark.table(io.table_name(s, spec)).collect()}
    assert now == expected  # same keys (no November any more) and the sums
    with connect(lake["url"]) as conn:
        last = one_row(conn.execute("SELECT actor, action, after FROM audit_log ORDER BY id DESC LIMIT 1"))
    assert (last["actor"], last["action"], last["after"]["reason"]) == ("tester", "batch.replay", "corrected delivery")
    shown = batches.show(spark, s, BAD)
    assert [a["action"] for a in shown["actions"]] == ["withdrawn", "replayed"]
    assert [e["event"] for e in shown["reconciliation"]] == ["received", "withdrawn", "redelivered"]
    assert shown["files"][0]["records"] == 3 and shown["bronze_rows"] == {"sales_lines": 3}
    listed = {(x["source"], x["batch_id"]): x for x in batches.list_all(spark, s)}
    assert listed[("sales_lines", BAD)]["status"] == "active" and listed[("sales_lines", BAD)]["accepted"] == 3
