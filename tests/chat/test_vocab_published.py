"""The chat vocabulary reads only published tables; a failing query on a published table raises instead of giving a
silently smaller vocabulary (lakecast.chat.vocab.load_vocabulary). Real DuckDB, Trino SQL transpiled as in chat."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
import sqlglot

from lakecast.chat.vocab import load_vocabulary


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA gold")
    con.execute("CREATE TABLE gold.dim_item (item_id VARCHAR, item_name VARCHAR, is_current BOOLEAN)")
    con.execute("INSERT INTO gold.dim_item VALUES ('I000001', 'Blue Widget', true), ('I000002', 'Old', false)")
    return con


def _query(con: duckdb.DuckDBPyConnection):
    def query(sql: str) -> list[dict[str, Any]]:
        rel = con.execute(sqlglot.transpile(sql, read="trino", write="duckdb")[0])
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
    return query


def test_unpublished_tables_give_no_words_and_published_ones_are_read(con):
    vocab = load_vocabulary(_query(con), published=lambda t: t == "gold.dim_item")
    assert set(vocab.values["item"].values()) == {"I000001"}  # only the current item
    assert vocab.labels["item"]["I000001"] == "Blue Widget"
    assert "location" not in vocab.values and vocab.model_ids == ()


def test_a_failing_query_on_a_published_table_raises(con):
    con.execute("CREATE TABLE gold.dim_location (location_id VARCHAR)")  # published, but without its columns
    with pytest.raises(duckdb.BinderException, match=r"is_current|location_name"):
        load_vocabulary(_query(con), published=lambda t: t in ("gold.dim_item", "gold.dim_location"))
