"""Which snapshot of each table is published: the one rule every reader of ``ops.published_runs`` applies.

A job commits its tables one Iceberg commit each, then appends its run manifest (one row per table, one commit)
to ``ops.published_runs`` as its last step. A table is *published* at the snapshot of its row with the highest
``seq``; the serving engine (DuckDB here, Trino with ``FOR VERSION AS OF``), maintenance (which never expires that
snapshot) and a job's start-of-run recovery all read the manifest through :func:`latest`. A table no manifest
lists is read at its current snapshot. docs/decisions.md "Job-level atomic publish".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.ops import PUBLISHED_RUNS

#: the manifest table; it is never listed in a manifest itself (it is read at its current snapshot)
MANIFEST_TABLE = PUBLISHED_RUNS.fqn
COLUMNS = tuple(PUBLISHED_RUNS.column_names())


@dataclass(frozen=True)
class PublishedTable:
    """A table's published snapshot and the run that published it."""

    table_name: str
    snapshot_id: int
    seq: int
    job: str
    run_id: str
    published_at: dt.datetime | None = None


def latest(rows: Iterable[Mapping[str, Any]]) -> dict[str, PublishedTable]:
    """``namespace.table -> PublishedTable`` from manifest rows (dicts with the contract's columns): for each table
    the row with the highest ``seq``. Two rows of one table with the same ``seq`` cannot both be served: refused."""
    out: dict[str, PublishedTable] = {}
    for r in rows:
        entry = PublishedTable(str(r["table_name"]), int(r["snapshot_id"]), int(r["seq"]), str(r["job"]),
                               str(r["run_id"]), r.get("published_at"))
        if entry.table_name == MANIFEST_TABLE:
            raise ValueError(f"{MANIFEST_TABLE} lists itself (seq {entry.seq}); it is always read at its current "
                             "snapshot")
        held = out.get(entry.table_name)
        if held is not None and held.seq == entry.seq and held.snapshot_id != entry.snapshot_id:
            raise ValueError(f"{MANIFEST_TABLE}: seq {entry.seq} lists {entry.table_name} twice "
                             f"({held.snapshot_id}, {entry.snapshot_id})")
        if held is None or entry.seq > held.seq:
            out[entry.table_name] = entry
    return out

