"""Iceberg table metadata of the local (Hadoop-catalog) warehouse, read with pyiceberg rather than by hand.

A Hadoop-catalog table directory names its current metadata file in ``metadata/version-hint.text``; pyiceberg
resolves that pointer (``StaticTable``) and parses the metadata JSON, so this module never reads either format
itself. Metadata files are immutable, so the parsed snapshot is cached per file (keyed with its mtime and size,
which also covers a table dropped and re-created at the same path).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pyiceberg.table import StaticTable


@dataclass(frozen=True)
class CurrentSnapshot:
    """What a table's current metadata file says: its location, current snapshot id and total-records."""

    metadata_location: str
    snapshot_id: int | None
    total_records: int | None


def metadata_location(table_dir: str | Path) -> str | None:
    """Return the table's current metadata file (the one its version hint names), or None if there is none."""
    try:
        location = StaticTable._metadata_location_from_version_hint(str(table_dir))
    except FileNotFoundError:
        return None
    return location if os.path.isfile(location) else None


def table_exists(table_dir: str | Path) -> bool:
    """True if ``table_dir`` holds an Iceberg table whose current metadata file exists."""
    return metadata_location(table_dir) is not None


def current_snapshot(table_dir: str | Path) -> CurrentSnapshot | None:
    """Return the table's current snapshot (None if the table does not exist)."""
    location = metadata_location(table_dir)
    return None if location is None else read_metadata(location)


Properties = tuple[tuple[str, str], ...]


def _version(location: str) -> tuple[int, int]:
    """Cache key of a metadata file: mtime and size locally; an object-store file (``s3://``) is never rewritten
    in place (a new version is a new file), so its location alone identifies it."""
    if "://" in location and not location.startswith("file:"):
        return 0, 0
    stat = os.stat(location)
    return stat.st_mtime_ns, stat.st_size


def read_metadata(location: str, properties: Properties = ()) -> CurrentSnapshot:
    """Return the current snapshot recorded in the metadata file at ``location`` (cached per file version).
    ``properties``: pyiceberg FileIO properties (e.g. S3 endpoint and keys, ``lakecast.stack.catalog``)."""
    return _read_metadata(location, *_version(location), properties)


@functools.lru_cache(maxsize=1024)
def _read_metadata(location: str, _mtime_ns: int, _size: int, properties: Properties = ()) -> CurrentSnapshot:
    snapshot = StaticTable.from_metadata(location, dict(properties)).current_snapshot()
    if snapshot is None:
        return CurrentSnapshot(location, None, 0)
    total = snapshot.summary.get("total-records") if snapshot.summary is not None else None
    return CurrentSnapshot(location, snapshot.snapshot_id, None if total is None else int(total))


def read_snapshot(location: str, snapshot_id: int, properties: Properties = ()) -> CurrentSnapshot | None:
    """Return snapshot ``snapshot_id`` of the table whose metadata file is ``location`` (None if the metadata does
    not hold it, e.g. expired or the table was re-created); cached per file version."""
    return _read_snapshot(location, *_version(location), snapshot_id, properties)


@functools.lru_cache(maxsize=1024)
def _read_snapshot(location: str, _mtime_ns: int, _size: int, snapshot_id: int,
                   properties: Properties = ()) -> CurrentSnapshot | None:
    snapshot = StaticTable.from_metadata(location, dict(properties)).snapshot_by_id(snapshot_id)
    if snapshot is None:
        return None
    total = snapshot.summary.get("total-records") if snapshot.summary is not None else None
    return CurrentSnapshot(location, snapshot.snapshot_id, None if total is None else int(total))


@dataclass(frozen=True)
class SnapshotFiles:
    """What a reader must read for one snapshot of a table, planned by pyiceberg with no row filter.

    ``data_files`` are every live data file (no file is skipped on partition values or column bounds),
    ``position_deletes`` the positional delete files that apply to them, ``columns`` the table schema as
    ``(name, Iceberg type)`` pairs in schema order.
    """

    metadata_location: str
    data_files: tuple[str, ...]
    position_deletes: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]


def snapshot_files(location: str, properties: Properties = (), snapshot_id: int | None = None) -> SnapshotFiles:
    """Return the files of the current snapshot (or of ``snapshot_id``) recorded in the metadata file at
    ``location``, and the table's current schema (a column added after that snapshot reads as NULL)."""
    return _snapshot_files(location, *_version(location), properties, snapshot_id)


#: A ``file:`` or ``file://`` scheme on a local path (the same pattern is applied in SQL to delete-file rows).
FILE_SCHEME = "^file:(//)?"


def _local_path(path: str) -> str:
    return re.sub(FILE_SCHEME, "", path)


@functools.lru_cache(maxsize=256)
def _snapshot_files(location: str, _mtime_ns: int, _size: int, properties: Properties = (),
                    snapshot_id: int | None = None) -> SnapshotFiles:
    table = StaticTable.from_metadata(location, dict(properties))
    # pyiceberg refuses equality deletes instead of ignoring them
    tasks = list(table.scan(snapshot_id=snapshot_id).plan_files())
    data = tuple(_local_path(t.file.file_path) for t in tasks)
    deletes = tuple(sorted({_local_path(d.file_path) for t in tasks for d in t.delete_files}))
    columns = tuple((f.name, str(f.field_type)) for f in table.schema().fields)
    return SnapshotFiles(location, data, deletes, columns)
