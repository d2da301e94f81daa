"""The run manifest (``ops.published_runs``): the rule that picks each table's published snapshot, and the DuckDB
serving engine reading every listed table at that snapshot (tables written by pyiceberg in a Hadoop-layout
warehouse, the layout Spark's Hadoop catalog writes: ``<warehouse>/<ns>/<table>/metadata/version-hint.text``)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog

from lakecast.runtime.engine import DuckDBEngine
from lakecast.runtime.published import MANIFEST_TABLE, latest
from lakecast.settings import Settings

AT = dt.datetime(2026, 1, 2, 3, 4, 5)


def _row(seq: int, table: str, snap: int, job: str = "gold") -> dict:
    return {"seq": seq, "job": job, "run_id": f"{job}-{seq}", "table_name": table, "snapshot_id": snap,
            "published_at": AT}


@pytest.mark.unit
def test_latest_takes_each_tables_row_with_the_highest_seq_whatever_the_row_order() -> None:
    rows = [_row(3, "gold.a", 30), _row(1, "gold.a", 10), _row(1, "gold.b", 11), _row(2, "gold.b", 21, "forecast"),
            _row(2, "gold.c", 22, "forecast")]
    got = latest(rows)
    assert {t: (e.snapshot_id, e.seq, e.job, e.run_id) for t, e in got.items()} == {
        "gold.a": (30, 3, "gold", "gold-3"), "gold.b": (21, 2, "forecast", "forecast-2"),
        "gold.c": (22, 2, "forecast", "forecast-2")}
    assert latest(reversed(rows)) == got
    assert latest([]) == {}


@pytest.mark.unit
def test_latest_refuses_a_manifest_that_contradicts_itself() -> None:
    with pytest.raises(ValueError, match=r"seq 4 lists gold\.a twice"):
        latest([_row(4, "gold.a", 1), _row(4, "gold.a", 2)])
    with pytest.raises(ValueError, match="lists itself"):
        latest([_row(1, MANIFEST_TABLE, 5)])


# ---------------------------------------------------------------- the serving engine
MANIFEST_SCHEMA = pa.schema([("seq", pa.int64()), ("job", pa.string()), ("run_id", pa.string()),
                             ("table_name", pa.string()), ("snapshot_id", pa.int64()),
                             ("published_at", pa.timestamp("us"))])
ROWS = pa.schema([("id", pa.string()), ("n", pa.int64())])


class Lake:
    """pyiceberg tables at ``<warehouse>/<ns>/<table>``, each commit followed by its version hint (as Spark's Hadoop
    catalog leaves them), and a way to publish a manifest."""

    def __init__(self, root: Path) -> None:
        self.warehouse = root / "warehouse"
        self.catalog = SqlCatalog("t", uri=f"sqlite:///{root / 'catalog.db'}", warehouse=f"file://{self.warehouse}")
        for ns in ("gold", "ops"):
            self.catalog.create_namespace(ns)
        self.seq = 0

    def _hint(self, table) -> None:
        meta = Path(table.metadata_location.removeprefix("file://"))
        (meta.parent / "version-hint.text").write_text(meta.name)

    def create(self, fqn: str, schema: pa.Schema = ROWS):
        location = f"file://{self.warehouse.joinpath(*fqn.split('.'))}"
        table = self.catalog.create_table(fqn, schema=schema, location=location)
        self._hint(table)
        return table

    def append(self, fqn: str, ids: list[str]) -> int:
        table = self.catalog.load_table(fqn)
        table.append(pa.table({"id": ids, "n": pa.array(range(len(ids)), pa.int64())}, schema=ROWS))
        self._hint(table)
        snapshot = table.current_snapshot()
        assert snapshot is not None
        return snapshot.snapshot_id

    def publish(self, snapshots: dict[str, int], job: str = "gold") -> None:
        self.seq += 1
        rows = [_row(self.seq, fqn, snap, job) for fqn, snap in snapshots.items()]
        table = self.catalog.load_table(MANIFEST_TABLE)
        table.append(pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA))
        self._hint(table)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path)
    for fqn in ("gold.dim_item", "gold.dim_location", "gold.dim_customer"):
        lake.create(fqn)
    lake.create(MANIFEST_TABLE, MANIFEST_SCHEMA)
    return lake


def _ids(engine: DuckDBEngine, fqn: str) -> list[str]:
    return [r["id"] for r in engine.query(f"SELECT id FROM {fqn} ORDER BY id")]


@pytest.mark.integration
@pytest.mark.parametrize("materialize", [(), ("gold",)], ids=["views", "materialized"])
def test_engine_serves_every_listed_table_at_its_published_snapshot(lake: Lake, tmp_path: Path,
                                                                    materialize: tuple[str, ...]) -> None:
    item1 = lake.append("gold.dim_item", ["i1"])
    loc1 = lake.append("gold.dim_location", ["l1"])
    engine = DuckDBEngine(Settings(data_dir=tmp_path, catalog={"warehouse": str(lake.warehouse)}),
                          materialize=materialize)
    # nothing published yet: every table at its current snapshot
    assert engine.snapshot_id("gold.dim_item") == item1 and _ids(engine, "gold.dim_item") == ["i1"]

    lake.publish({"gold.dim_item": item1, "gold.dim_location": loc1})
    # a run commits one table and dies before its manifest: the engine keeps the published snapshot
    item2 = lake.append("gold.dim_item", ["i1", "i2"])
    cust = lake.append("gold.dim_customer", ["c1"])  # never listed by a manifest: served current
    assert engine.manifest()["gold.dim_item"].snapshot_id == item1
    assert (engine.snapshot_id("gold.dim_item"), engine.snapshot_id("gold.dim_location")) == (item1, loc1)
    assert _ids(engine, "gold.dim_item") == ["i1"]
    assert engine.snapshot_id("gold.dim_customer") == cust and _ids(engine, "gold.dim_customer") == ["c1"]
    # both tables of the next run in one manifest: both switch at once
    loc2 = lake.append("gold.dim_location", ["l2"])
    assert _ids(engine, "gold.dim_location") == ["l1"]
    lake.publish({"gold.dim_item": item2, "gold.dim_location": loc2})
    assert (engine.snapshot_id("gold.dim_item"), engine.snapshot_id("gold.dim_location")) == (item2, loc2)
    assert _ids(engine, "gold.dim_item") == ["i1", "i1", "i2"] and _ids(engine, "gold.dim_location") == ["l1", "l2"]
    # a later publish of one table by another job moves only that table
    item3 = lake.append("gold.dim_item", ["i3"])
    lake.publish({"gold.dim_item": item3}, job="forecast")
    assert (engine.snapshot_id("gold.dim_item"), engine.snapshot_id("gold.dim_location")) == (item3, loc2)
    assert engine.manifest()["gold.dim_item"].job == "forecast"


@pytest.mark.integration
def test_a_published_snapshot_the_table_no_longer_holds_falls_back_to_current_with_a_warning(
        lake: Lake, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = lake.append("gold.dim_item", ["old"])
    lake.publish({"gold.dim_item": old})
    lake.catalog.drop_table("gold.dim_item")  # re-created outside a run: the old snapshot is gone
    lake.create("gold.dim_item")
    new = lake.append("gold.dim_item", ["new"])
    engine = DuckDBEngine(Settings(data_dir=tmp_path, catalog={"warehouse": str(lake.warehouse)}))
    with caplog.at_level(logging.WARNING, logger="lakecast.runtime.engine"):
        assert engine.snapshot_id("gold.dim_item") == new
    assert _ids(engine, "gold.dim_item") == ["new"]
    assert f"published snapshot {old}" in caplog.text
