"""lakecast.runtime.iceberg: the current metadata file and snapshot of a Hadoop-layout table, read by pyiceberg.

The tables are written by pyiceberg itself (a SQL catalog on sqlite); the test adds the Hadoop catalog's
``metadata/version-hint.text`` pointer, as Spark's Hadoop catalog does, and moves it like a commit would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table

from lakecast.runtime import iceberg

pytestmark = pytest.mark.unit


def _point_hint(table_dir: Path, metadata_location: str) -> None:
    name = Path(metadata_location.removeprefix("file://")).name.removesuffix(".metadata.json")
    (table_dir / "metadata" / "version-hint.text").write_text(name)


def _current_id(table: Table) -> int:
    """The id of the table's current snapshot (the table has one: rows were appended)."""
    snapshot = table.current_snapshot()
    assert snapshot is not None
    return snapshot.snapshot_id


def _table_dir(catalog: SqlCatalog, table) -> Path:
    return Path(table.location().removeprefix("file://"))


def test_missing_table_has_no_metadata(tmp_path: Path) -> None:
    assert iceberg.metadata_location(tmp_path / "nope") is None
    assert iceberg.current_snapshot(tmp_path / "nope") is None
    assert not iceberg.table_exists(tmp_path / "nope")


def test_current_snapshot_follows_the_version_hint(catalog: SqlCatalog) -> None:
    rows = pa.table({"qty": pa.array([1, 2, 3], pa.int64())})
    table = catalog.create_table("gold.t", schema=rows.schema)
    table_dir = _table_dir(catalog, table)
    _point_hint(table_dir, table.metadata_location)
    empty = iceberg.current_snapshot(table_dir)
    assert empty is not None and empty.snapshot_id is None and empty.total_records == 0

    table.append(rows)
    first_location, first_id = table.metadata_location, _current_id(table)
    table.append(rows)
    second_location, second_id = table.metadata_location, _current_id(table)
    assert first_id != second_id

    _point_hint(table_dir, second_location)
    got = iceberg.current_snapshot(table_dir)
    assert got == iceberg.CurrentSnapshot(second_location.removeprefix("file://"), second_id, 6)
    assert iceberg.table_exists(table_dir)
    # the hint moved back (a rollback of the pointer): the older metadata's current snapshot, not the newest one
    _point_hint(table_dir, first_location)
    assert iceberg.current_snapshot(table_dir) == iceberg.CurrentSnapshot(
        first_location.removeprefix("file://"), first_id, 3
    )


def test_a_table_recreated_at_the_same_path_is_not_served_from_the_cache(catalog: SqlCatalog, tmp_path: Path) -> None:
    rows = pa.table({"qty": pa.array([1, 2], pa.int64())})
    table = catalog.create_table("gold.t", schema=rows.schema)
    table.append(rows)
    table_dir = _table_dir(catalog, table)
    _point_hint(table_dir, table.metadata_location)
    before = iceberg.current_snapshot(table_dir)
    assert before is not None and before.total_records == 2
    saved = tmp_path / "saved"
    shutil.copytree(table_dir, saved)

    catalog.drop_table("gold.t")
    shutil.rmtree(table_dir)
    again = catalog.create_table("gold.t", schema=rows.schema, location=f"file://{table_dir}")
    again.append(pa.table({"qty": pa.array([5, 6, 7, 8], pa.int64())}))
    # put the new table's metadata at the old file names, as a re-created Hadoop table would reuse v1, v2, ...
    old_name = Path(before.metadata_location).name
    shutil.copyfile(again.metadata_location.removeprefix("file://"), table_dir / "metadata" / old_name)
    _point_hint(table_dir, before.metadata_location)
    after = iceberg.current_snapshot(table_dir)
    assert after is not None and after.total_records == 4
    assert after.snapshot_id == _current_id(again) != before.snapshot_id
