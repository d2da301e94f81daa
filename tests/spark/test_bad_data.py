"""Bad values never reach gold and never wedge it (issue 18): plausibility rules, gates, line accounting.

One isolated tiny pipeline (bronze -> silver -> gold) is published clean, then batches holding every defect of the
issue are landed: a quantity that parses as infinity, two 1e308 lines of one DFU-month (their sum is infinite),
1e20, a 100,006-character line id, sale dates 2030-01-15 and 2099-12-31, a price of 1e309, a quantity 1000x the
DFU's p99, an external forecast of 1e309 for 2099, an item master row with an absurd lead time, and a file whose
unclosed quote swallows the lines after it. Each row is quarantined under its rule (the file is rejected), every
batch reconciles, the next gold run publishes and no gold table holds a non-finite number.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pyspark.sql import functions as F

from contracts.gold import GOLD_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.runtime.spark import get_spark
from spark_jobs import bronze, gates, gold, io, silver

pytestmark = [pytest.mark.spark, pytest.mark.integration]

HEADER = "line_id,sale_date,item_id,location_id,customer_id,qty,unit_price,promo_flag"
DFU = ("I000002", "L0001")  # 466 lines in tiny seed 7, qty p99 135
BATCH = "2026-10-zz-defects"
LONG_ID = "SL-LONG-" + "x" * 99_998  # 100,006 characters
# line_id -> (sale_date, qty, unit_price, expected rule, text the detail must hold)
DEFECTS = {
    "SL-BAD-INF": ("2026-10-10", "1e309", "2.50", "non_finite", "`qty` is not a finite number: 1e309"),
    "SL-BAD-MAX1": ("2026-10-11", "1e308", "2.50", "out_of_range", "1e308 is above the maximum 1e+07"),
    "SL-BAD-MAX2": ("2026-10-12", "1e308", "2.50", "out_of_range", "1e308 is above the maximum 1e+07"),
    "SL-BAD-1E20": ("2026-10-13", "99999999999999999999", "2.50", "out_of_range", "99999999999999999999"),
    "SL-BAD-2030": ("2030-01-15", "3", "2.50", "future_date", "2030-01-15 is more than 7 days after its batch date"),
    "SL-BAD-2099": ("2099-12-31", "3", "2.50", "future_date", "2099-12-31"),
    "SL-BAD-PRICE": ("2026-10-14", "3", "1e309", "non_finite", "`unit_price` is not a finite number"),
    "SL-BAD-REV": ("2026-10-15", "9000", "9000000", "out_of_range", "(quality.plausibility.sources.sales_lines"
                   ".bounds.revenue.max)"),
    "SL-BAD-P99": ("2026-10-16", "135000", "2.50", "implausible_vs_history", "is more than 100x the p99 "),
    LONG_ID: ("2026-10-17", "3", "2.50", "too_long", "`line_id` is 100006 characters long (limit 64)"),
    "SL-OK-1": ("2026-10-18", "4", "2.50", None, None),
}
UNCLOSED = "\n".join([
    HEADER,
    "SL-UQ-1,2026-10-20,I000002,L0001,,1,2.50,0",
    'SL-UQ-2,2026-10-20,"I000002,L0001,,1,2.50,0',
    "SL-UQ-3,2026-10-21,I000002,L0001,,1,2.50,0",
    "SL-UQ-4,2026-10-22,I000002,L0001,,1,2.50,0",
    "SL-UQ-5,2026-10-23,I000002,L0001,,1,2.50,0",
]) + "\n"


@pytest.fixture(scope="module")
def lake(isolated_settings):
    """A clean tiny lake published through gold, then the defect batches landed and run through silver."""
    from lakecast.generate import generate

    s = isolated_settings("baddata")
    generate(s.landing_dir, scale="tiny", seed=7, messy_fraction=0.02)
    spark = get_spark(s)
    bronze.run(spark, s)
    silver.run(spark, s)
    first = gold.run(spark, s)
    assert first.published
    clean_calendar = spark.table(io.table_name(s, GOLD_TABLES["dim_calendar"])).agg(F.max("date")).first()[0]

    sales = s.landing_dir / "sales_lines" / BATCH
    sales.mkdir(parents=True)
    lines = [HEADER] + [f"{lid},{d},{DFU[0]},{DFU[1]},,{q},{p},0" for lid, (d, q, p, _, _) in DEFECTS.items()]
    (sales / "defects.csv").write_text("\n".join(lines) + "\n")
    (sales / "unclosed.csv").write_text(UNCLOSED)
    ext = s.landing_dir / "external_forecast" / "2026-zz-defects"
    ext.mkdir(parents=True)
    (ext / "defects.csv").write_text(
        "item_id,location_id,fcst_origin,target_month,lag,fcst_qty\n"
        f"{DFU[0]},{DFU[1]},2026-09,2026-10,0,1e309\n"
        f"{DFU[0]},{DFU[1]},2099-01,2099-02,0,5\n"
    )
    items = s.landing_dir / "item_master" / "2026-10-31-defects"
    items.mkdir(parents=True)
    (items / "defects.csv").write_text(
        "item_id,item_name,brand,category,subcategory,supplier,uom,unit_cost,lead_time_days,launch_date,"
        "discontinue_date,effective_date\n"
        "I-BAD-1,Bad lead time,Acme,Tools,Hand,Supplier A,EA,1.50,99999999999999999999,2020-01-01,,2026-10-31\n"
        "I-BAD-2,Bad cost,Acme,Tools,Hand,Supplier A,EA,1e309,7,2020-01-01,,2026-10-31\n"
    )
    b = bronze.run(spark, s)
    sv = silver.run(spark, s)
    return {"settings": s, "spark": spark, "bronze": b, "silver": sv, "clean_calendar": clean_calendar}


def _table(lake, fqn):
    return lake["spark"].table(f"{lake['settings'].catalog.name}.{fqn}")


def test_each_defect_is_quarantined_under_its_rule_with_the_offending_value(lake):
    q = {r.row_number: r for r in _table(lake, "silver.quarantine")
         .where((F.col("batch_id") == BATCH) & (F.col("source_file") == "defects.csv")).collect()}
    for row_number, (line_id, (_, _, _, rule, phrase)) in enumerate(DEFECTS.items(), start=1):
        if rule is None:
            assert row_number not in q, (line_id, q[row_number].rule, q[row_number].detail)
            continue
        got = q[row_number]
        assert got.rule == rule, (line_id, got.rule, got.detail)
        assert phrase in got.detail, (line_id, got.detail)
    accepted = {r.line_id for r in _table(lake, "silver.sales_lines").where(F.col("_batch_id") == BATCH).collect()}
    assert accepted == {lid for lid, v in DEFECTS.items() if v[3] is None}
    # the whole 100,006-character id stays in the raw payload
    assert LONG_ID in q[list(DEFECTS).index(LONG_ID) + 1].raw_payload


def test_external_forecast_and_master_defects_are_quarantined(lake):
    q = _table(lake, "silver.quarantine").where(F.col("batch_id").isin("2026-zz-defects", "2026-10-31-defects"))
    got = {(r.source_table, r.row_number): (r.rule, r.detail) for r in q.collect()}
    assert got[("bronze.external_forecast", 1)][0] == "non_finite"
    assert got[("bronze.external_forecast", 2)][0] == "future_date"
    far = got[("bronze.external_forecast", 2)][1]
    assert "`fcst_origin` 2099-01-01 is more than 31 days after its batch date" in far, far
    assert got[("bronze.item_master", 1)] == (
        "out_of_range",
        "`lead_time_days` = 99999999999999999999 is above the maximum 3650 "
        "(quality.plausibility.sources.item_master.bounds.lead_time_days.max)",
    )
    assert got[("bronze.item_master", 2)][0] == "non_finite"


def test_a_quote_that_swallows_lines_rejects_its_file_with_the_line_accounting(lake):
    log = {r.source_file: r for r in _table(lake, "ops.ingest_files").where(F.col("batch_id") == BATCH).collect()}
    bad = log["unclosed.csv"]
    assert bad.status == "rejected" and bad.rows == 0
    assert "a quoted field opened on line 3 runs to line 6" in bad.reason and "unclosed quote" in bad.reason
    assert (bad.physical_lines, bad.records, bad.file_bytes) == (6, 2, len(UNCLOSED.encode()))
    good = log["defects.csv"]
    assert good.status == "accepted" and good.rows == good.records == len(DEFECTS)
    assert good.physical_lines == len(DEFECTS) + 1
    assert _table(lake, "bronze.sales_lines").where(F.col("_source_file") == "unclosed.csv").count() == 0


def test_every_batch_still_reconciles(lake):
    recon = _table(lake, "ops.batch_reconciliation").orderBy("seq").collect()
    assert recon and all(r.rows_landed == r.rows_accepted + r.rows_quarantined for r in recon)
    mine = {r.source_table: r for r in recon if r.batch_id == BATCH}
    r = mine["bronze.sales_lines"]
    assert (r.rows_landed, r.rows_accepted) == (len(DEFECTS), sum(1 for v in DEFECTS.values() if v[3] is None))


def test_next_gold_run_publishes_and_no_gold_table_holds_a_non_finite_number(lake):
    spark, s = lake["spark"], lake["settings"]
    result = gold.run(spark, s)
    assert result.published, [g.detail for g in result.gates if not g.passed]
    gate_names = {(g.table_name, g.gate) for g in result.gates}
    assert ("gold.dim_calendar", "calendar_span") in gate_names
    for name in result.rows:
        df = spark.table(io.table_name(s, GOLD_TABLES[name]))
        numeric = [f.name for f in df.schema.fields if f.dataType.simpleString() in ("double", "bigint", "int")]
        assert not numeric or (f"gold.{name}", "finite") in gate_names, name
        for row in df.select(*numeric).collect():
            for col, v in zip(numeric, row, strict=True):
                assert v is None or math.isfinite(v), (name, col, v)
    calendar_end = spark.table(io.table_name(s, GOLD_TABLES["dim_calendar"])).agg(F.max("date")).first()[0]
    assert calendar_end == lake["clean_calendar"]
    monthly = spark.table(io.table_name(s, GOLD_TABLES["fact_sales_monthly"]))
    top = monthly.agg(F.max("qty"), F.max("revenue")).first()
    assert top[0] < 1e6 and top[1] < 1e8, top


def test_gates_catch_bad_rows_that_bypass_silver_and_name_the_batch(lake):
    """Future-dated and infinite rows written straight into silver: the gates block gold, naming the cause."""
    spark, s = lake["spark"], lake["settings"]
    spec = SILVER_TABLES["sales_lines"]
    before = io.snapshot_id(spark, s, spec)
    gold_before = {n: io.snapshot_id(spark, s, t) for n, t in GOLD_TABLES.items()}
    rows = [(f"SL-WEDGE-{i}", d, DFU[0], DFU[1], None, q, 2.5, False, "2026-10-wedge", "w.csv", i)
            for i, (d, q) in enumerate([(dt.date(2030, 1, 15), 3.0), (dt.date(2099, 12, 31), 3.0),
                                        (dt.date(2026, 10, 5), 1e308), (dt.date(2026, 10, 6), 1e308)], start=1)]
    try:
        io.append(spark, s, spec, spark.createDataFrame(rows, io.spark_schema(spec)))
        with pytest.raises(gates.GateFailure) as info:
            gold.run(spark, s)
        failed = {(g.table_name, g.gate): g for g in info.value.failed}
        assert ("gold.dim_calendar", "calendar_span") in failed
        span = failed[("gold.dim_calendar", "calendar_span")].detail
        assert "calendar 2023-01-01 .. 2101-12-31 (28,854 days)" in span, span
        assert ("gold.fact_sales_monthly", "finite") in failed  # 1e308 + 1e308 = inf
        assert "qty: 1 rows (e.g. inf)" in failed[("gold.fact_sales_monthly", "finite")].detail
        drift = failed[("gold.dim_calendar", "row_count_drift")]
        assert "2026-10-wedge (2 rows, 2030-01-15..2099-12-31)" in drift.detail, drift.detail
        assert {n: io.snapshot_id(spark, s, t) for n, t in GOLD_TABLES.items()} == gold_before
    finally:
        spark.sql(f"CALL {s.catalog.name}.system.rollback_to_snapshot('{spec.fqn}', {before})")
    assert gold.run(spark, s).published  # not wedged once the rows are gone


def test_calendar_span_and_finite_gates_in_isolation(spark):
    spec = GOLD_TABLES["fact_sales_monthly"]
    schema = io.spark_schema(spec)
    d = dt.date(2026, 1, 1)
    df = spark.createDataFrame([("a|b", "a", "b", d, float("nan"), 1.0, 1, 0.0, None),
                                ("a|c", "a", "c", d, -1.0, float("-inf"), 1, 0.0, 2e15)], schema)
    finite, value_range = gates.finite_and_bounded(spec, df, 1e15)
    assert not finite.passed and finite.observed == 2.0
    assert "qty: 1 rows (e.g. nan)" in finite.detail and "revenue: 1 rows (e.g. -inf)" in finite.detail
    assert not value_range.passed and value_range.observed == 2.0  # qty -1 < 0 (contract ge=0), avg_price 2e15
    cal = GOLD_TABLES["dim_calendar"]
    days = spark.sql("SELECT explode(sequence(DATE'2024-01-01', DATE'2101-12-31', INTERVAL 1 DAY)) AS date")
    g = gates.calendar_span(cal, days, dt.date(2000, 1, 1), dt.date(2029, 12, 31))
    assert not g.passed and "2101-12-31" in g.detail
    assert gates.calendar_span(cal, days.where("date < DATE'2029-01-01'"), dt.date(2000, 1, 1),
                               dt.date(2029, 12, 31)).passed
