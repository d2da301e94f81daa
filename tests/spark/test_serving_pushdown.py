"""No served answer depends on truncated min/max statistics (issue 18, item 5).

A tiny lake holds bronze.sales_lines and silver.sales_lines, created from their contracts by the jobs' I/O, with
what pruning on statistics gets wrong: a 100,006-character line id (Iceberg truncates string bounds to 16
characters), ids sharing a 70-character prefix that differ after character 16 or 64, batch ids (the bronze
partition column) sharing a long prefix, non-ASCII text longer than 16 characters, a short id among long ones
(so the longest value is neither the minimum nor the maximum), nulls, NaN and +-inf quantities, and row-level
DELETEs: merge-on-read on bronze (a positional delete file) and copy-on-write on silver. For every predicate
the serving engine (DuckDB, as the API and ``lakecast sql`` build it) returns exactly the rows Spark SQL
returns on the same snapshot, and the row counts computed here in Python.

Before this test, DuckDB read these tables with ``iceberg_scan``, which evaluated ``length(line_id) > 1000`` on
the truncated bounds and returned 0 rows (and dropped positional deletes under ``IS NOT NULL``, and failed on
``upper(x) = ...``); see docs/decisions.md, "Serving under pushdown".
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from contracts.bronze import BRONZE_TABLES
from contracts.silver import SILVER_TABLES
from lakecast.runtime.engine import get_engine
from lakecast.runtime.spark import get_spark
from spark_jobs import io

pytestmark = [pytest.mark.spark, pytest.mark.integration]

LONG_ID = "SL-LONG-" + "x" * 99_998  # 100,006 characters
P70 = "P" * 70
BATCH_PREFIX = "2026-10-batch-with-a-long-shared-prefix-"  # 40 characters, batch ids differ after it
JP = "日本語のテキストは十六文字を超えると比較はどうなるか"  # 26 characters, 78 UTF-8 bytes
# (batch suffix, line_id, qty): one file per batch, so each batch's bounds are computed over its own rows
BATCHES: dict[str, list[tuple[str | None, float | None]]] = {
    "a": [(LONG_ID, 1.0), ("SL-1", 2.0), (None, 3.0), ("SL-Z", 4.0)],
    "b": [(P70 + "A", float("nan")), (P70 + "B", 1.0), ("P" * 20 + "Q", 5.0)],
    "c": [("abc", float("inf")), ("abd", float("-inf")), ("ab" + "c" * 20 + "Z", 6.0), ("ab" + "c" * 20 + "A", None)],
    "d": [("a", 7.0), ("b" * 40, 8.0), ("c", 9.0)],
    "e": [(JP, 10.0), (JP + "z", 11.0), ("SL-DELETE-ME", 12.0), ("SL-KEEP", 13.0)],
}
DELETED = "SL-DELETE-ME"

# predicate in the Trino dialect the engine serves, the same predicate in Spark SQL, and its Python meaning
PREDICATES = [
    ("length(line_id) > 1000", None, lambda i, q: i is not None and len(i) > 1000),
    ("length(line_id) = 100006", None, lambda i, q: i is not None and len(i) == 100_006),
    ("length(line_id) > 16", None, lambda i, q: i is not None and len(i) > 16),
    ("length(line_id) BETWEEN 20 AND 80", None, lambda i, q: i is not None and 20 <= len(i) <= 80),
    ("length(line_id) < 2", None, lambda i, q: i is not None and len(i) < 2),
    (f"line_id = '{LONG_ID}'", None, lambda i, q: i == LONG_ID),
    ("line_id LIKE 'SL-LONG-" + "x" * 40 + "%'", None,
     lambda i, q: i is not None and i.startswith("SL-LONG-" + "x" * 40)),
    (f"line_id LIKE '{P70}B%'", None, lambda i, q: i is not None and i.startswith(P70 + "B")),
    (f"line_id = '{P70}B'", None, lambda i, q: i == P70 + "B"),
    (f"line_id > '{P70}A'", None, lambda i, q: i is not None and i > P70 + "A"),
    (f"line_id >= '{P70}B'", None, lambda i, q: i is not None and i >= P70 + "B"),
    (f"line_id < '{'P' * 20}R'", None, lambda i, q: i is not None and i < "P" * 20 + "R"),
    ("line_id > 'SL-LONG-" + "x" * 30 + "'", None, lambda i, q: i is not None and i > "SL-LONG-" + "x" * 30),
    ("line_id LIKE '%Z'", None, lambda i, q: i is not None and i.endswith("Z")),
    ("substr(line_id, 17) = 'ccccccZ'", "substr(line_id, 17) = 'ccccccZ'",
     lambda i, q: i is not None and i[16:] == "ccccccZ"),
    ("upper(line_id) = 'ABD'", None, lambda i, q: i is not None and i.upper() == "ABD"),
    (f"line_id >= '{JP[:17]}'", None, lambda i, q: i is not None and i >= JP[:17]),
    (f"line_id > '{JP}'", None, lambda i, q: i is not None and i > JP),
    ("line_id IS NULL", None, lambda i, q: i is None),
    ("line_id IS NOT NULL", None, lambda i, q: i is not None),
]
# on silver's double `qty` (Trino dialect, Spark SQL)
QTY_PREDICATES = [
    ("is_nan(qty)", "isnan(qty)", lambda q: q is not None and math.isnan(q)),
    ("qty = CAST('NaN' AS DOUBLE)", "qty = double('NaN')", lambda q: q is not None and math.isnan(q)),
    ("qty = CAST('Infinity' AS DOUBLE)", "qty = double('inf')", lambda q: q == math.inf),
    ("qty = CAST('-Infinity' AS DOUBLE)", "qty = double('-inf')", lambda q: q == -math.inf),
    ("qty < -1e300", None, lambda q: q == -math.inf),
    ("NOT is_nan(qty) AND qty > 1e300", "NOT isnan(qty) AND qty > 1e300", lambda q: q == math.inf),
    ("NOT is_nan(qty) AND qty BETWEEN 4.5 AND 9.5", "NOT isnan(qty) AND qty BETWEEN 4.5 AND 9.5",
     lambda q: q is not None and not math.isnan(q) and 4.5 <= q <= 9.5),
]


def _batch(suffix: str) -> str:
    return BATCH_PREFIX + suffix * 30


def _silver_id(line_id: str | None, suffix: str) -> str:
    """silver.sales_lines.line_id is required: a null bronze id is a distinct short id in silver."""
    return line_id or f"SL-NULL-{suffix}"


@pytest.fixture(scope="module")
def lake(spark, isolated_settings):
    s = isolated_settings("pushdown")
    spark = get_spark(s)  # registers the lake's own catalog on the shared session
    ingested = dt.datetime(2026, 10, 31, 12)
    bronze_spec, silver_spec = BRONZE_TABLES["sales_lines"], SILVER_TABLES["sales_lines"]
    bronze_cols = [f.name for f in io.spark_schema(bronze_spec).fields]
    for suffix, rows in BATCHES.items():
        batch = _batch(suffix)
        b_rows = [{**dict.fromkeys(bronze_cols), "_batch_id": batch, "_source_file": "f.csv", "_row_number": n,
                   "_ingested_at": ingested, "line_id": line_id, "qty": None if q is None else repr(q)}
                  for n, (line_id, q) in enumerate(rows, start=1)]
        io.append(spark, s, bronze_spec, spark.createDataFrame(
            [tuple(r[c] for c in bronze_cols) for r in b_rows], io.spark_schema(bronze_spec)).coalesce(1))
        s_rows = [(_silver_id(line_id, suffix), dt.date(2026, 10, 1), "I1", "L1", None,
                   0.0 if q is None else q, None if q is None else 2.5, False, batch, "f.csv", n)
                  for n, (line_id, q) in enumerate(rows, start=1)]
        io.append(spark, s, silver_spec, spark.createDataFrame(s_rows, io.spark_schema(silver_spec)).coalesce(1))
    bronze, silver = io.table_name(s, bronze_spec), io.table_name(s, silver_spec)
    spark.sql(f"ALTER TABLE {bronze} SET TBLPROPERTIES ('write.delete.mode'='merge-on-read')")
    spark.sql(f"DELETE FROM {bronze} WHERE line_id = '{DELETED}'")
    spark.sql(f"DELETE FROM {silver} WHERE line_id = '{DELETED}'")
    return {"settings": s, "bronze": bronze, "silver": silver}


def _expected_rows(table: str):
    """(batch, row number, line_id, qty) of every row not deleted, as the table stores them."""
    return [(_batch(suffix), n, line_id if table == "bronze" else _silver_id(line_id, suffix), q)
            for suffix, rows in BATCHES.items() for n, (line_id, q) in enumerate(rows, start=1) if line_id != DELETED]


def test_the_lake_holds_what_pruning_gets_wrong(spark, lake):
    files = {r.content: r.n for r in spark.sql(
        f"SELECT content, count(*) AS n FROM {lake['bronze']}.files GROUP BY content").collect()}
    assert files == {0: len(BATCHES), 1: 1}  # one data file per batch and one positional delete file
    assert spark.sql(f"SELECT count(*) FROM {lake['silver']}.delete_files").first()[0] == 0  # copy-on-write
    bounds = spark.sql(f"SELECT readable_metrics.line_id.upper_bound AS ub FROM {lake['bronze']}.files "
                       "WHERE content = 0").collect()
    assert max(len(r.ub) for r in bounds) == 16  # Iceberg's truncate(16): no bound says 100,006 characters


@pytest.mark.parametrize("engine_kind", ["views", "serving"])
def test_string_predicates_agree_with_spark_and_python(spark, lake, engine_kind):
    s = lake["settings"]
    engine = get_engine(s, serving=engine_kind == "serving")
    for fqn in ("bronze.sales_lines", "silver.sales_lines"):
        expected_rows = _expected_rows(fqn.split(".")[0])
        for trino, spark_pred, meaning in PREDICATES:
            sql = f"SELECT _batch_id, _row_number FROM {fqn} WHERE {trino}"
            served = sorted(tuple(r.values()) for r in engine.query(sql))
            sp = sorted(tuple(r) for r in spark.sql(
                f"SELECT _batch_id, _row_number FROM {s.catalog.name}.{fqn} WHERE {spark_pred or trino}").collect())
            python = sorted((b, n) for b, n, i, q in expected_rows if meaning(i, q))
            assert served == sp == python, (fqn, trino[:80], len(served), len(sp), len(python))


def test_partition_column_predicates_agree(spark, lake):
    """bronze is partitioned by `_batch_id`: functions of a partition value must not be decided on summaries."""
    s = lake["settings"]
    engine = get_engine(s, serving=False)
    for where in ["length(_batch_id) > 60", f"_batch_id > '{_batch('c')[:50]}'", "substr(_batch_id, 41, 1) = 'd'",
                  f"_batch_id LIKE '{BATCH_PREFIX}e%'", "upper(_batch_id) LIKE '%BATCH%'"]:
        sql = f"SELECT _batch_id, _row_number FROM bronze.sales_lines WHERE {where}"
        served = sorted(tuple(r.values()) for r in engine.query(sql))
        sp = sorted(tuple(r) for r in spark.sql(sql.replace("bronze.", f"{s.catalog.name}.bronze.")).collect())
        assert served == sp and served, where


def test_double_predicates_agree_with_spark_and_python(spark, lake):
    s = lake["settings"]
    engine = get_engine(s, serving=False)
    expected_rows = _expected_rows("silver")
    for trino, spark_pred, meaning in QTY_PREDICATES:
        sql = f"SELECT _batch_id, _row_number FROM silver.sales_lines WHERE {trino}"
        served = sorted(tuple(r.values()) for r in engine.query(sql))
        sp = sorted(tuple(r) for r in spark.sql(
            f"SELECT _batch_id, _row_number FROM {s.catalog.name}.silver.sales_lines WHERE {spark_pred or trino}"
        ).collect())
        python = sorted((b, n) for b, n, i, q in expected_rows if q is not None and meaning(q))
        assert served == sp == python and python, (trino, served, sp, python)
    nulls = engine.query("SELECT _batch_id, _row_number FROM silver.sales_lines WHERE unit_price IS NULL")
    assert [tuple(r.values()) for r in nulls] == [(b, n) for b, n, i, q in expected_rows if q is None]


def test_full_content_and_aggregates_agree(spark, lake):
    s = lake["settings"]
    engine = get_engine(s, serving=False)
    for fqn in ("bronze.sales_lines", "silver.sales_lines"):
        sql = (f"SELECT count(*), count(line_id), max(length(line_id)), min(line_id), count(DISTINCT _batch_id) "
               f"FROM {fqn}")
        served = tuple(engine.query(sql)[0].values())
        sp = tuple(spark.sql(sql.replace(fqn, f"{s.catalog.name}.{fqn}")).first())
        assert served == sp, (fqn, served, sp)
        assert served[0] == len(_expected_rows("bronze")) and served[2] == 100_006
    assert engine.snapshot_id("bronze.sales_lines") == io.snapshot_id(spark, s, BRONZE_TABLES["sales_lines"])
