"""TrinoEngine sends the SQL it should: a fake ``trino.dbapi.connect`` records statements (no Trino server)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
import trino
from sqlglot import exp

from lakecast.runtime.engine import TrinoEngine, trino_snapshot_sql
from lakecast.settings import Settings

pytestmark = pytest.mark.unit


class _Cursor:
    def __init__(self, log: list[tuple[str, Any]], rows: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.log, self.rows = log, rows
        self.description = [(c, None, None, None, None, None, None) for c in columns]

    def execute(self, sql: str, params: Any = None) -> None:
        self.log.append((sql, params))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class _Connection:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _Cursor:
        return self._cursor


@pytest.fixture
def fake_trino(monkeypatch: pytest.MonkeyPatch):
    """Factory: make ``trino.dbapi.connect`` return a connection answering ``rows``; returns (log, connect kwargs)."""

    def install(rows: list[tuple[Any, ...]], columns: list[str]):
        log: list[tuple[str, Any]] = []
        connects: list[dict[str, Any]] = []

        def connect(**kwargs: Any) -> _Connection:
            connects.append(kwargs)
            return _Connection(_Cursor(log, rows, columns))

        monkeypatch.setattr(trino.dbapi, "connect", connect)
        return log, connects

    return install


def test_snapshot_id_reads_the_main_branch_ref(fake_trino, tmp_path) -> None:
    log, connects = fake_trino([(4242,)], ["snapshot_id"])
    settings = Settings(data_dir=tmp_path, engine={"kind": "trino"})
    assert TrinoEngine(settings).snapshot_id("gold.fact_sales_monthly") == 4242
    assert connects == [{"host": settings.engine.trino_host, "port": settings.engine.trino_port,
                         "user": settings.engine.trino_user, "catalog": settings.engine.trino_catalog}]
    [(sql, params)] = log
    assert params is None
    assert sql == (
        'SELECT snapshot_id FROM "gold"."fact_sales_monthly$refs" WHERE name = \'main\' AND type = \'BRANCH\''
    )
    # It is valid Trino SQL over the $refs metadata table, filtered to the main branch (not "newest committed").
    tree = sqlglot.parse_one(sql, read="trino")
    [table] = list(tree.find_all(exp.Table))
    assert (table.db, table.name) == ("gold", "fact_sales_monthly$refs")
    assert tree.find(exp.Order) is None and tree.find(exp.Limit) is None
    assert {(c.left.name, c.right.this) for c in tree.find_all(exp.EQ)} == {("name", "main"), ("type", "BRANCH")}


def test_snapshot_id_of_a_table_without_snapshots_is_none(fake_trino, tmp_path) -> None:
    log, _ = fake_trino([], ["snapshot_id"])
    assert TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"})).snapshot_id("ops.gate_results") is None
    assert log[0][0] == trino_snapshot_sql("ops.gate_results")


def test_identifiers_are_quoted() -> None:
    assert trino_snapshot_sql('gold.we"ird').startswith('SELECT snapshot_id FROM "gold"."we""ird$refs"')
