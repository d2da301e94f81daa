"""TrinoEngine sends the SQL it should: a fake ``trino.dbapi.connect`` records statements (no Trino server)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
import trino
from sqlglot import exp

from lakecast.runtime.engine import TrinoEngine, pin_snapshots, trino_manifest_sql, trino_snapshot_sql
from lakecast.runtime.published import COLUMNS as MANIFEST_COLUMNS
from lakecast.runtime.published import PublishedTable
from lakecast.settings import Settings

pytestmark = pytest.mark.unit


class _Cursor:
    """Answers ``rows`` to every statement but the run-manifest read, which gets ``manifest`` (rows as dicts) or,
    when that is None, Trino's TABLE_NOT_FOUND; manifest reads are logged apart in ``manifest_log``."""

    def __init__(self, log: list[tuple[str, Any]], rows: list[tuple[Any, ...]], columns: list[str],
                 manifest: list[dict[str, Any]] | None, manifest_log: list[str]) -> None:
        self.log, self.rows, self.columns = log, rows, columns
        self.manifest, self.manifest_log = manifest, manifest_log
        self.description: list[tuple] = []
        self._answer: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: Any = None) -> None:
        if sql == trino_manifest_sql():
            self.manifest_log.append(sql)
            if self.manifest is None:
                raise trino.exceptions.TrinoUserError(
                    {"errorName": "TABLE_NOT_FOUND", "message": "Table 'lakecast.ops.published_runs' does not exist"})
            cols = list(MANIFEST_COLUMNS)
            self._answer = [tuple(r[c] for c in cols) for r in self.manifest]
        else:
            self.log.append((sql, params))
            cols, self._answer = self.columns, self.rows
        self.description = [(c, None, None, None, None, None, None) for c in cols]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._answer


class _Connection:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _Cursor:
        return self._cursor


@pytest.fixture
def fake_trino(monkeypatch: pytest.MonkeyPatch):
    """Factory: make ``trino.dbapi.connect`` return a connection answering ``rows`` (and ``manifest`` to the run
    manifest read: None = no such table); returns (log of other statements, connect kwargs, manifest reads)."""

    def install(rows: list[tuple[Any, ...]], columns: list[str], manifest: list[dict[str, Any]] | None = None):
        log: list[tuple[str, Any]] = []
        connects: list[dict[str, Any]] = []
        manifest_log: list[str] = []

        def connect(**kwargs: Any) -> _Connection:
            connects.append(kwargs)
            return _Connection(_Cursor(log, rows, columns, manifest, manifest_log))

        monkeypatch.setattr(trino.dbapi, "connect", connect)
        return log, connects, manifest_log

    return install


def test_snapshot_id_reads_the_main_branch_ref(fake_trino, tmp_path) -> None:
    log, connects, _ = fake_trino([(4242,)], ["snapshot_id"])
    settings = Settings(data_dir=tmp_path, engine={"kind": "trino"})
    assert TrinoEngine(settings).snapshot_id("gold.fact_sales_monthly") == 4242
    # two connections: the run manifest read (no such table here) and the $refs query
    assert connects == 2 * [{"host": settings.engine.trino_host, "port": settings.engine.trino_port,
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
    log, _, _ = fake_trino([], ["snapshot_id"])
    assert TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"})).snapshot_id("ops.gate_results") is None
    assert log[0][0] == trino_snapshot_sql("ops.gate_results")


def test_identifiers_are_quoted() -> None:
    assert trino_snapshot_sql('gold.we"ird').startswith('SELECT snapshot_id FROM "gold"."we""ird$refs"')


def _published(**snaps: int) -> list[dict[str, Any]]:
    return [{"seq": 1, "job": "gold", "run_id": "gold-1", "table_name": fqn.replace("__", "."), "snapshot_id": snap,
             "published_at": None} for fqn, snap in snaps.items()]


def test_tables_the_manifest_lists_are_read_at_their_published_snapshot(fake_trino, tmp_path) -> None:
    log, _, manifest_reads = fake_trino([(1,)], ["n"], manifest=_published(gold__dim_item=11, gold__dim_dfu=22))
    engine = TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"}))
    sql = ("WITH d AS (SELECT dfu_id FROM gold.dim_dfu) SELECT count(*) AS n FROM gold.dim_item i "
           "JOIN d ON true JOIN gold.dim_location l ON true WHERE i.item_id IN (SELECT item_id FROM gold.dim_item)")
    assert engine.query(sql) == [{"n": 1}]
    [(sent, _)] = log
    assert manifest_reads == [trino_manifest_sql()]
    versions = {(t.db, t.name, t.args["version"].expression.this if t.args.get("version") else None)
                for t in sqlglot.parse_one(sent, read="trino").find_all(exp.Table)}
    assert versions == {("gold", "dim_dfu", "22"), ("gold", "dim_item", "11"), ("gold", "dim_location", None),
                        ("", "d", None)}
    assert "gold.dim_item AS i" not in sent and "FOR VERSION AS OF 11 AS i" in sent  # valid Trino: period, then alias
    assert engine.snapshot_id("gold.dim_item") == 11  # from the manifest, no $refs query
    assert len(log) == 1
    # a table the manifest does not list: the head of its main branch
    log, _, _ = fake_trino([(7,)], ["snapshot_id"], manifest=_published(gold__dim_item=11))
    assert engine.snapshot_id("gold.dim_location") == 7 and log == [(trino_snapshot_sql("gold.dim_location"), None)]


def test_sql_that_reads_no_listed_table_is_sent_as_written(fake_trino, tmp_path) -> None:
    log, _, _ = fake_trino([(1,)], ["n"])  # no manifest table yet
    sql = "SELECT  count(*) AS n FROM gold.dim_item"  # odd spacing survives: not re-rendered
    assert TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"})).query(sql) == [{"n": 1}]
    assert log == [(sql, None)]
    manifest = {"gold.dim_item": PublishedTable("gold.dim_item", 5, 1, "gold", "gold-1")}
    assert pin_snapshots("SELECT 1 AS ok", manifest) == "SELECT 1 AS ok"
    pinned = "SELECT * FROM gold.dim_item FOR VERSION AS OF 3"  # a version already named is left alone
    assert pin_snapshots(pinned, manifest) == pinned


def test_a_manifest_read_error_other_than_a_missing_table_is_raised(monkeypatch, tmp_path) -> None:
    def connect(**_: Any) -> Any:
        raise trino.exceptions.TrinoUserError({"errorName": "PERMISSION_DENIED", "message": "denied"})

    monkeypatch.setattr(trino.dbapi, "connect", connect)
    with pytest.raises(trino.exceptions.TrinoUserError, match="denied"):
        TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"})).query("SELECT 1")


def test_the_manifest_is_read_once_per_ttl_not_once_per_query(fake_trino, tmp_path, monkeypatch) -> None:
    log, _, manifest_reads = fake_trino([(1,)], ["n"], manifest=_published(gold__dim_item=11))
    engine = TrinoEngine(Settings(data_dir=tmp_path, engine={"kind": "trino"}))
    clock = [100.0]
    monkeypatch.setattr("lakecast.runtime.engine.time.monotonic", lambda: clock[0])
    for _ in range(3):
        engine.query("SELECT count(*) AS n FROM gold.dim_item")
    assert len(manifest_reads) == 1 and len(log) == 3
    clock[0] += TrinoEngine.MANIFEST_TTL_SECONDS  # a publish is seen within the TTL
    engine.query("SELECT count(*) AS n FROM gold.dim_item")
    assert len(manifest_reads) == 2
