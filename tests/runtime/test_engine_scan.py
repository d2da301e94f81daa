"""DuckDBEngine.scan_sql: a table's current snapshot read as its planned data files (no Iceberg-level pruning).

Tables are written by pyiceberg (a SQL catalog on sqlite, data file paths as ``file://`` URIs); the engine is given
the metadata file directly, as it is after resolving a Hadoop table's version hint.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.types import StringType

from lakecast.runtime.engine import DuckDBEngine
from lakecast.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path: Path) -> DuckDBEngine:
    return DuckDBEngine(Settings(data_dir=tmp_path / "lake"))


def _view(engine: DuckDBEngine, table) -> list[tuple]:
    metadata = table.metadata_location.removeprefix("file://")
    engine.con.execute(f"CREATE OR REPLACE VIEW v AS {engine.scan_sql('gold.t', metadata)}")
    return engine.con.execute("SELECT * FROM v ORDER BY ALL").fetchall()


def test_a_table_without_snapshot_is_an_empty_view_with_its_types(catalog, engine) -> None:
    schema = pa.schema([("id", pa.string()), ("qty", pa.float64()), ("n", pa.int64()), ("d", pa.date32()),
                        ("ok", pa.bool_())])
    table = catalog.create_table("gold.t", schema=schema)
    assert _view(engine, table) == []
    types = [(r[0], r[1]) for r in engine.con.execute("DESCRIBE v").fetchall()]
    assert types == [("id", "VARCHAR"), ("qty", "DOUBLE"), ("n", "BIGINT"), ("d", "DATE"), ("ok", "BOOLEAN")]


def test_columns_added_by_schema_evolution_are_null_where_files_lack_them(catalog, engine) -> None:
    table = catalog.create_table("gold.t", schema=pa.schema([("id", pa.string()), ("n", pa.int64())]))
    table.append(pa.table({"id": ["a", "b"], "n": pa.array([1, 2], pa.int64())}))
    with table.update_schema() as update:
        update.add_column("note", StringType())
    table = catalog.load_table("gold.t")
    assert _view(engine, table) == [("a", 1, None), ("b", 2, None)]  # no data file holds `note` yet
    table.append(pa.table({"id": ["c"], "n": pa.array([3], pa.int64()), "note": ["x" * 100_000]}))
    rows = _view(engine, table)
    assert [(i, n, None if note is None else len(note)) for i, n, note in rows] == [
        ("a", 1, None), ("b", 2, None), ("c", 3, 100_000)]
    got = engine.con.execute("SELECT id FROM v WHERE length(note) > 1000").fetchall()
    assert got == [("c",)]


def test_every_live_data_file_is_read_and_replaced_files_are_not(catalog, engine) -> None:
    table = catalog.create_table("gold.t", schema=pa.schema([("id", pa.string()), ("n", pa.int64())]))
    for i in range(3):
        table.append(pa.table({"id": [f"{'P' * 40}{i}"], "n": pa.array([i], pa.int64())}))
    table.overwrite(pa.table({"id": ["z"], "n": pa.array([9], pa.int64())}))
    table.append(pa.table({"id": ["SL-" + "x" * 5_000], "n": pa.array([10], pa.int64())}))
    assert [(i[:5], n) for i, n in _view(engine, table)] == [("SL-xx", 10), ("z", 9)]
