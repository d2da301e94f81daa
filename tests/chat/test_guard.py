"""The SQL guard on raw SQL, as an LLM or a user would hand it over (no engine needed)."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from lakecast.chat.guard import GuardRefusal, guard_sql
from lakecast.chat.semantic import served_tables

ALLOWED = served_tables()

#: every one of these must be refused, each for a stated reason
ABUSIVE_SQL: list[tuple[str, str]] = [
    # stacked statements
    ("SELECT * FROM gold.dim_item; DROP TABLE gold.dim_item", "exactly one statement"),
    ("SELECT 1 FROM gold.dim_item; SELECT 2 FROM gold.dim_item", "exactly one statement"),
    ("SELECT * FROM gold.dim_item;DELETE FROM gold.dim_item", "exactly one statement"),
    ("SELECT * FROM gold.dim_item; COPY gold.dim_item TO '/tmp/x.csv'", "exactly one statement"),
    ("SELECT * FROM gold.dim_item;\nATTACH '/tmp/evil.db' AS evil", "one Trino-dialect statement|exactly one"),
    # DDL / DML / session
    ("DROP TABLE gold.fact_sales_monthly", "only SELECT"),
    ("DELETE FROM gold.fact_sales_monthly WHERE 1 = 1", "only SELECT"),
    ("INSERT INTO gold.dim_item SELECT * FROM gold.dim_item", "only SELECT"),
    ("UPDATE gold.dim_item SET brand = 'x'", "only SELECT"),
    ("TRUNCATE TABLE gold.dim_item", "only SELECT"),
    ("ALTER TABLE gold.dim_item ADD COLUMN x INT", "only SELECT"),
    ("CREATE TABLE gold.x AS SELECT * FROM gold.dim_item", "only SELECT"),
    ("CREATE VIEW v AS SELECT * FROM gold.dim_item", "only SELECT"),
    ("CREATE OR REPLACE MACRO m() AS 1", "only SELECT|does not parse"),
    ("MERGE INTO gold.dim_item t USING gold.dim_item s ON t.item_id = s.item_id WHEN MATCHED THEN DELETE",
     "only SELECT"),
    ("GRANT SELECT ON gold.dim_item TO public", "only SELECT|does not parse"),
    ("SET enable_external_access = true", "only SELECT"),
    ("SET SESSION query_max_execution_time = '1h'", "only SELECT|does not parse"),
    ("PRAGMA database_list", "only SELECT"),
    ("INSTALL httpfs", "only SELECT"),
    ("LOAD httpfs", "only SELECT|does not parse"),
    ("ATTACH '/tmp/evil.db' AS evil", "only SELECT|does not parse"),
    ("COPY gold.dim_item TO '/tmp/items.csv'", "only SELECT"),
    ("CALL system.sync_partition_metadata('gold', 'x', 'FULL')", "only SELECT"),
    ("EXPLAIN ANALYZE SELECT * FROM gold.dim_item", "only SELECT"),
    ("SELECT * INTO gold.stolen FROM gold.dim_item", "SELECT ... INTO"),
    ("WITH x AS (SELECT 1 AS a) INSERT INTO gold.dim_item SELECT * FROM x", "only SELECT|does not parse"),
    # file / network / system functions
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "not allowed"),
    ("SELECT * FROM read_parquet('/tmp/x.parquet')", "not allowed"),
    ("SELECT * FROM read_json('http://evil.example/x.json')", "not allowed"),
    ("SELECT * FROM iceberg_scan('/data/warehouse/silver/item')", "not allowed"),
    ("SELECT * FROM parquet_scan('s3://bucket/x.parquet')", "not allowed"),
    ("SELECT * FROM 'https://evil.example/data.csv'", "not served"),
    ("SELECT * FROM '/etc/passwd'", "not served"),
    ("SELECT read_text('/etc/passwd') FROM gold.dim_item", "not allowed"),
    ("SELECT * FROM glob('/etc/*')", "not allowed|does not parse"),
    ("SELECT * FROM TABLE(system.query(query => 'SELECT 1'))", "not allowed"),
    ("SELECT current_setting('threads') FROM gold.dim_item", "not allowed"),
    ("SELECT version() FROM gold.dim_item", "not allowed"),
    ("SELECT current_user FROM gold.dim_item", "not allowed"),
    ("SELECT sleep(100) FROM gold.dim_item", "not allowed"),
    ("SELECT getenv('HOME') FROM gold.dim_item", "not allowed"),
    ("SELECT * FROM duckdb_settings()", "not allowed"),
    ("SELECT * FROM gold.dim_item WHERE item_id IN (SELECT content FROM read_text('/etc/passwd'))", "not allowed"),
    # unlisted tables, schemas and catalogs
    ("SELECT * FROM silver.item", "not served"),
    ("SELECT * FROM bronze.sales_lines", "not served"),
    ("SELECT * FROM ops.gate_results", "not served"),
    ("SELECT * FROM users", "not served"),
    ("SELECT * FROM information_schema.tables", "not served"),
    ("SELECT * FROM system.runtime.nodes", "catalog-qualified|not served"),
    ("SELECT * FROM lakecast.gold.dim_item", "catalog-qualified"),
    ("SELECT * FROM pg_catalog.pg_user", "not served"),
    ("SELECT * FROM gold.dim_item UNION ALL SELECT * FROM silver.item", "not served"),
    ("SELECT * FROM gold.dim_item WHERE EXISTS (SELECT 1 FROM bronze.item_master)", "not served"),
    ("WITH t AS (SELECT * FROM silver.customer) SELECT * FROM t", "not served"),
    ("SELECT rowid FROM gold.dim_item", "unknown column"),
    ("SELECT filename FROM gold.fact_sales_monthly", "unknown column"),
    ("SELECT password_hash FROM gold.dim_item", "unknown column"),
    # comment tricks (the comment is dropped, the code around it still has to pass)
    ("SELECT * FROM gold.dim_item /* */; DROP TABLE gold.dim_item", "exactly one statement"),
    ("SELECT * FROM silver.item -- gold.dim_item", "not served"),
    ("/* SELECT * FROM gold.dim_item */ DROP TABLE gold.dim_item", "only SELECT"),
    ("SELECT * FROM gold.dim_item WHERE 1 = 1 --\n; DELETE FROM gold.dim_item", "exactly one statement"),
    # huge results and runaway queries
    ("SELECT * FROM gold.fact_forecast a, gold.fact_forecast b", "ON or USING"),
    ("SELECT * FROM gold.fact_forecast a CROSS JOIN gold.fact_forecast b", "ON or USING"),
    ("SELECT * FROM gold.dim_item LIMIT (SELECT 10)", "plain number"),
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r", "recursive"),
    ("SELECT * FROM gold.dim_item a JOIN gold.dim_item b ON a.item_id = b.item_id JOIN gold.dim_item c ON "
     "a.item_id = c.item_id JOIN gold.dim_item d ON a.item_id = d.item_id JOIN gold.dim_item e ON a.item_id = "
     "e.item_id JOIN gold.dim_item f ON a.item_id = f.item_id JOIN gold.dim_item g ON a.item_id = g.item_id "
     "JOIN gold.dim_item h ON a.item_id = h.item_id", "at most 6 joins"),
    ("SELECT " + "(" * 5000 + "1" + ")" * 5000 + " FROM gold.dim_item", "could not be parsed|does not parse|longer"),
    ("SELECT * FROM gold.dim_item WHERE item_id = ?", "PLACEHOLDER|not allowed|does not parse"),
    ("SELECT 1", "reads no served table"),
    ("", "empty"),
    ("SELECT * FROM gold.dim_item WHERE item_id = 'x\x00'", "NUL"),
    ("SELEC * FROM gold.dim_item", "only SELECT|does not parse"),
    # time travel, metadata tables, table functions: refused by the guard itself, with the reason
    ("SELECT * FROM gold.fact_sales_monthly FOR VERSION AS OF 1234567890", "time travel"),
    ("SELECT * FROM gold.fact_sales_monthly FOR TIMESTAMP AS OF TIMESTAMP '2024-01-01 00:00:00'", "time travel"),
    ("SELECT s.qty FROM gold.dim_item i JOIN gold.fact_sales_monthly FOR VERSION AS OF 1 s ON s.item_id = i.item_id",
     "time travel"),
    ('SELECT * FROM gold."fact_sales_monthly$snapshots"', "metadata table"),
    ('SELECT * FROM gold."dim_item$files"', "metadata table"),
    ("SELECT * FROM TABLE(gold.dim_item)", "table functions|function table()"),
]


def test_there_are_at_least_fifty_abusive_statements() -> None:
    assert len(ABUSIVE_SQL) >= 50


@pytest.mark.parametrize(("sql", "reason"), ABUSIVE_SQL, ids=[f"sql{i:02d}" for i in range(len(ABUSIVE_SQL))])
def test_abusive_sql_is_refused_with_a_reason(sql: str, reason: str) -> None:
    with pytest.raises(GuardRefusal) as info:
        guard_sql(sql, allowed=ALLOWED)
    assert info.value.message.startswith("refused:")
    assert any(part.lower() in info.value.message.lower() for part in reason.split("|")), info.value.message


def test_limit_is_added_lowered_or_kept() -> None:
    assert guard_sql("SELECT * FROM gold.dim_item", allowed=ALLOWED).limit == 1000
    g = guard_sql("SELECT * FROM gold.fact_forecast LIMIT 100000000", allowed=ALLOWED)
    assert g.limit == 1000 and g.sql.endswith("LIMIT 1000")
    assert guard_sql("SELECT * FROM gold.dim_item LIMIT 7", allowed=ALLOWED).limit == 7
    g = guard_sql("SELECT * FROM gold.dim_item FETCH FIRST 5000 ROWS ONLY", allowed=ALLOWED, max_rows=50)
    assert g.limit == 50 and "LIMIT 50" in g.sql
    g = guard_sql("SELECT item_id FROM gold.dim_item UNION SELECT item_id FROM gold.dim_dfu", allowed=ALLOWED)
    assert isinstance(g.ast, exp.Union) and g.sql.endswith("LIMIT 1000")


def test_allowed_queries_pass_and_comments_are_dropped() -> None:
    sql = """WITH s AS (SELECT d.region, f.qty FROM gold.fact_sales_monthly AS f
                         JOIN gold.dim_dfu AS d ON d.dfu_id = f.dfu_id)  -- a comment
             SELECT region, SUM(qty) AS units, RANK() OVER (ORDER BY SUM(qty) DESC) AS r
             FROM s GROUP BY region /* another */ ORDER BY units DESC"""
    g = guard_sql(sql, allowed=ALLOWED)
    assert g.tables == ("gold.fact_sales_monthly", "gold.dim_dfu")
    assert "--" not in g.sql and "/*" not in g.sql
    assert isinstance(sqlglot.parse_one(g.sql, read="trino"), exp.Select)
    g = guard_sql("SELECT DATE_TRUNC('month', month_start) AS m, COUNT(DISTINCT dfu_id) FROM gold.fact_sales_monthly "
                  "WHERE month_start >= DATE '2026-01-01' GROUP BY 1", allowed=ALLOWED)
    assert g.limit == 1000


def test_unlisted_columns_are_named_in_the_refusal() -> None:
    with pytest.raises(GuardRefusal, match="unknown column secret_col"):
        guard_sql("SELECT secret_col FROM gold.dim_item", allowed=ALLOWED)


def test_oversized_sql_is_refused_before_parsing() -> None:
    with pytest.raises(GuardRefusal, match="longer than 100 characters"):
        guard_sql("SELECT * FROM gold.dim_item WHERE " + " OR ".join(["1 = 1"] * 50), allowed=ALLOWED,
                  max_sql_chars=100)
