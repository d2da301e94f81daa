"""The run manifest: which snapshot of each table the serving engine reads (job-level atomic publish)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from contracts.base import LakecastModel, TableSpec


class PublishedRun(LakecastModel):
    """One table of one published job run: the snapshot the serving engine reads until a later publish lists it."""

    seq: int = Field(description="Publish sequence number: one per publish, shared by all its rows, increasing; "
                     "the row with the highest seq for a table is the one served")
    job: str = Field(description="Job (or batch action) that published: bronze, silver, gold, forecast, final, "
                     "maintain, batch")
    run_id: str = Field(description="The job run that wrote the snapshots")
    table_name: str = Field(description="Table published (namespace.table)")
    snapshot_id: int = Field(description="Iceberg snapshot id of the table the run published")
    published_at: dt.datetime = Field(description="UTC time of the publish")


PUBLISHED_RUNS = TableSpec(
    "ops", "published_runs", PublishedRun,
    grain="one row per table per published job run (append-only)",
    primary_key=("seq", "table_name"),
    description="Run manifests: a job commits its tables, then appends one row per table it writes in one "
    "atomic commit; the serving engine reads each listed table at the snapshot of its highest-seq row, so the "
    "tables of one run become visible together or not at all. Tables never listed are read at their current "
    "snapshot. Never listed itself: it is read at its current snapshot.",
)
