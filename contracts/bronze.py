"""Bronze contracts: every landing source's rows exactly as delivered (strings) plus batch metadata.

Grain: one row per delivered data row of one landing file. Append-only and idempotent per batch: a batch
whose files were already landed with the same content hashes is skipped, so re-landing adds nothing.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, create_model

from contracts.base import LakecastModel, TableSpec
from contracts.landing import SOURCES, LandingSource


class BronzeMeta(LakecastModel):
    """Metadata columns every bronze row carries."""

    batch_id: str = Field(alias="_batch_id", description="Delivery id = the landing batch directory name")
    source_file: str = Field(alias="_source_file", description="File name within the batch directory")
    row_number: int = Field(alias="_row_number", description="1-based data row number within the file")
    ingested_at: dt.datetime = Field(alias="_ingested_at", description="UTC time the batch was first landed")
    corrupt_record: str | None = Field(
        None, alias="_corrupt_record", description="Raw text of a row the CSV parser could not split cleanly"
    )


BRONZE_META_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_ingested_at", "_corrupt_record")


def _bronze_model(source: LandingSource) -> type[LakecastModel]:
    fields: dict = {
        col: (str | None, Field(None, description=f"`{col}` as delivered (untyped text)"))
        for col in source.columns
    }
    for meta_name, info in BronzeMeta.model_fields.items():
        fields[meta_name] = (BronzeMeta.__annotations__[meta_name], info)
    name = "Bronze" + "".join(part.title() for part in source.name.split("_"))
    return create_model(name, __base__=LakecastModel, **fields)


BRONZE_TABLES: dict[str, TableSpec] = {
    name: TableSpec(
        namespace="bronze",
        name=name,
        model=_bronze_model(source),
        grain=f"one row per delivered row of a `{name}` landing file ({source.grain})",
        primary_key=("_batch_id", "_source_file", "_row_number"),
        partition_by=("_batch_id",),
        description=source.description,
    )
    for name, source in SOURCES.items()
}


class IngestFile(LakecastModel):
    """One landing file seen by the bronze job, accepted or rejected as a whole."""

    source: str = Field(description="Landing source name (e.g. sales_lines)")
    batch_id: str = Field(description="Landing batch directory name")
    source_file: str = Field(description="File name within the batch")
    sha256: str = Field(description="Content hash of the file; a batch is re-landed only if a hash changes")
    file_format: str = Field(description="csv or parquet")
    encoding: str | None = Field(None, description="Text encoding detected for CSV files")
    delimiter: str | None = Field(None, description="Field delimiter detected for CSV files")
    status: str = Field(description="accepted or rejected")
    reason: str | None = Field(None, description="Why a rejected file was rejected, in plain words")
    rows: int = Field(description="Data rows landed from this file (0 when rejected)")
    ingested_at: dt.datetime = Field(description="UTC time the file was processed")
    file_bytes: int | None = Field(None, description="File size in bytes as delivered")
    physical_lines: int | None = Field(
        None, description="CSV: newline-separated lines, header and blank lines included (null for Parquet)"
    )
    records: int | None = Field(
        None,
        description="Data records in the file: CSV by a quote-aware line scan (physical_lines = header + blank "
        "lines + the lines of every record), Parquet from its footer; an accepted file lands exactly this many rows",
    )


INGEST_FILES = TableSpec(
    namespace="ops",
    name="ingest_files",
    model=IngestFile,
    grain="one row per landing file per batch",
    primary_key=("source", "batch_id", "source_file"),
    description="File-level ingest log: every landing file with its hash, detected format and outcome.",
)


BATCH_ACTIONS = ("withdrawn", "replayed")


class BatchLifecycle(LakecastModel):
    """One withdrawal or replay of a landing batch (written by `lakecast batch withdraw|replay`)."""

    source: str = Field(description="Landing source name (e.g. sales_lines)")
    batch_id: str = Field(description="Landing batch directory name")
    action: str = Field(description="withdrawn (rows removed, bronze skips the batch) or replayed (re-landed, "
                        "the withdrawn mark cleared); the latest action per source and batch is its state")
    actor: str = Field(description="Who did it: `--by`, else the OS user")
    reason: str = Field(description="Why, as given with --reason")
    at: dt.datetime = Field(description="UTC time of the action")
    files: int = Field(description="Landing files of the batch at the time (ops.ingest_files)")
    bronze_rows: int = Field(description="withdrawn: rows removed from bronze; replayed: rows in bronze before "
                             "the replay (0 after a withdrawal)")
    silver_rows: int = Field(description="withdrawn: the batch's rows in silver fact tables at the time "
                             "(removed by the silver run that follows)")
    quarantined_rows: int = Field(description="withdrawn: the batch's rows in silver.quarantine at the time")
    audit_id: int | None = Field(None, description="id of the matching row in the app database's audit_log")


BATCH_LIFECYCLE = TableSpec(
    namespace="ops",
    name="batch_lifecycle",
    model=BatchLifecycle,
    grain="one row per withdrawal or replay of a landing batch (append-only)",
    primary_key=("source", "batch_id", "at"),
    description="Withdrawals and replays of landing batches, with who, why and the rows removed; bronze skips a "
    "batch whose latest action is withdrawn.",
)
