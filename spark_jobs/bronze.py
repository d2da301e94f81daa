"""landing/ -> bronze.<source>: rows as delivered (all text) plus batch metadata; idempotent per batch.

A batch whose files all carry the content hashes already recorded in ops.ingest_files is skipped, so
re-running the job (or re-landing the same batch) adds nothing. A batch whose content changed replaces its
previous rows in one atomic Iceberg commit. Rejected files are recorded with a reason, never silently dropped.
A batch withdrawn with `lakecast batch withdraw` (ops.batch_lifecycle) is skipped, and reported, until it is
replayed; a replayed batch is landed again even when its files' hashes are unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from contracts.bronze import BRONZE_TABLES, INGEST_FILES
from contracts.landing import SOURCES, LandingSource
from lakecast.settings import Settings
from spark_jobs import io, publish
from spark_jobs.batches import lifecycle_state
from spark_jobs.landing import FilePlan, list_batches, plan_file

CORRUPT = "_corrupt_record"
_GLOB_CHARS = re.compile(r"([{}\[\]*?\\])")


def _literal(path) -> str:
    """Spark reads a load path holding any of {}[]*?\\ as a glob: escape them so names read literally."""
    return _GLOB_CHARS.sub(r"\\\1", str(path))


def _spark_path(plan: FilePlan) -> str:
    """The absolute local path Spark reads for a plan (the UTF-8 staging copy for transcoded files)."""
    return str((plan.read_path or plan.path).absolute())


# Spark's `_metadata.file_path` is a java.net.URI string ("file:/dir/a%20b (1).csv": only some characters
# escaped, non-ASCII left raw), unlike Python's Path.as_uri(); percent-decode it back to the plain path. Java
# never writes '+' for a space, so a literal '+' is protected from url_decode's form decoding.
_LOCAL_PATH_SQL = "url_decode(replace(regexp_replace(_path, '^file:(//)?', ''), '+', '%2B'))"


@dataclass
class BronzeResult:
    landed_batches: dict[str, list[str]] = field(default_factory=dict)
    skipped_batches: dict[str, list[str]] = field(default_factory=dict)
    rejected_files: list[tuple[str, str, str, str]] = field(default_factory=list)  # source, batch, file, why
    rows: dict[str, int] = field(default_factory=dict)
    # batches whose latest ops.batch_lifecycle action is `withdrawn`: their landing files are not landed again
    withdrawn_batches: dict[str, list[str]] = field(default_factory=dict)
    run_id: str = ""


def _recorded_hashes(spark: SparkSession, settings: Settings, source: str
                     ) -> tuple[dict[str, set[tuple[str, str]]], dict[str, dt.datetime]]:
    """(batch -> {(file, sha256)}, batch -> when it was last landed) from ops.ingest_files."""
    if not io.exists(spark, settings, INGEST_FILES):
        return {}, {}
    rows = (
        io.read(spark, settings, INGEST_FILES)
        .where(F.col("source") == source)
        .select("batch_id", "source_file", "sha256", "ingested_at")
        .collect()
    )
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    landed: dict[str, dt.datetime] = {}
    for r in rows:
        out[r.batch_id].add((r.source_file, r.sha256))
        landed[r.batch_id] = max(landed.get(r.batch_id, r.ingested_at), r.ingested_at)
    return out, landed


def _read_csv_group(spark: SparkSession, source: LandingSource, plans: list[FilePlan]) -> DataFrame:
    """Read CSV files sharing delimiter and header in one pass; rows numbered within their file."""
    first = plans[0]
    schema = T.StructType(
        [T.StructField(c, T.StringType(), True) for c in first.header]
        + [T.StructField(CORRUPT, T.StringType(), True)]
    )
    paths = [_literal(_spark_path(p)) for p in plans]
    df = (
        spark.read.format("csv")
        .schema(schema)
        .options(
            header="true", sep=first.delimiter or ",", quote='"', escape='"', multiLine="true",
            mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT, encoding="UTF-8",
            ignoreLeadingWhiteSpace="false", ignoreTrailingWhiteSpace="false", enforceSchema="true",
        )
        .load(paths)
        .withColumn("_path", F.col("_metadata.file_path"))
        .withColumn("_ord", F.monotonically_increasing_id())
    )
    # multiLine=true keeps each file in one partition, so the id order is the file's row order.
    window = Window.partitionBy("_path").orderBy("_ord")
    df = df.withColumn("_row_number", F.row_number().over(window).cast("long"))
    return df.select(
        *[F.col(c) if c in first.header else F.lit(None).cast("string").alias(c) for c in source.columns],
        CORRUPT, "_path", "_row_number",
    )


def _read_parquet_group(spark: SparkSession, source: LandingSource, plans: list[FilePlan]) -> DataFrame:
    """Read Parquet files sharing one column layout in one pass; values cast to text as delivered."""
    plan = plans[0]
    df = spark.read.parquet(*[_literal(_spark_path(p)) for p in plans])
    by_norm = dict(zip(plan.header, plan.raw_header, strict=True))

    def as_text(col_name: str):
        raw = by_norm.get(col_name)
        if raw is None:
            return F.lit(None).cast("string").alias(col_name)
        field_type = df.schema[raw].dataType
        col = F.col(f"`{raw}`")
        if isinstance(field_type, T.DateType):
            col = F.date_format(col, "yyyy-MM-dd")
        return col.cast("string").alias(col_name)

    return df.select(
        *[as_text(c) for c in source.columns],
        F.lit(None).cast("string").alias(CORRUPT),
        F.col("_metadata.file_path").alias("_path"),
        (F.col("_metadata.row_index") + 1).cast("long").alias("_row_number"),
    )


def land_source(spark: SparkSession, settings: Settings, source: LandingSource, result: BronzeResult,
                ingested_at: dt.datetime, progress=None) -> None:
    """Land every new or changed batch of one source into bronze.<source>."""
    source_dir = settings.landing_dir / source.name
    if source_dir.is_dir():  # a file outside any batch directory is reported, never silently skipped
        for stray in sorted(p for p in source_dir.iterdir() if p.is_file() and not p.name.startswith((".", "_"))):
            result.rejected_files.append((source.name, "", stray.name, (
                f"not in a batch directory: move it to landing/{source.name}/<batch_id>/{stray.name}")))
    recorded, landed_at = _recorded_hashes(spark, settings, source.name)
    states = {b: r for (_, b), r in lifecycle_state(spark, settings, source.name).items()}
    staging = settings.data_path / "staging"
    todo: list[FilePlan] = []
    batches_todo: list[str] = []
    max_lines = settings.quality.landing.max_lines_per_record
    for batch_id, files in list_batches(settings.landing_dir / source.name).items():
        state = states.get(batch_id)
        if state is not None and state.action == "withdrawn":  # until `lakecast batch replay`
            result.withdrawn_batches.setdefault(source.name, []).append(batch_id)
            continue
        plans = [plan_file(source, batch_id, f, staging, max_lines) for f in files]
        replay_due = (state is not None and state.action == "replayed"
                      and (batch_id not in landed_at or state.at > landed_at[batch_id]))
        if not replay_due and {(p.path.name, p.sha256) for p in plans} == recorded.get(batch_id, set()):
            result.skipped_batches.setdefault(source.name, []).append(batch_id)
            continue
        batches_todo.append(batch_id)
        todo.extend(plans)
        if progress:
            progress(f"plan {source.name}", len(batches_todo), 0)
    if not batches_todo:
        return
    for p in todo:
        if not p.accepted:
            result.rejected_files.append((source.name, p.batch_id, p.path.name, p.rejected or ""))

    accepted = [p for p in todo if p.accepted]
    frames: list[DataFrame] = []
    groups: dict[tuple, list[FilePlan]] = defaultdict(list)
    for p in accepted:
        groups[(p.file_format, p.delimiter, p.header, p.raw_header, p.layout)].append(p)
    for (fmt, *_), plans in groups.items():
        reader = _read_csv_group if fmt == "csv" else _read_parquet_group
        frames.append(reader(spark, source, plans))

    # Map Spark's file path back to (batch, file) through a small lookup, not by parsing the path.
    path_rows = [(p.batch_id, p.path.name, _spark_path(p)) for p in accepted]
    spec = BRONZE_TABLES[source.name]
    where = F.col("_batch_id").isin(batches_todo)
    if frames:
        lookup = spark.createDataFrame(path_rows, "_batch_id string, _source_file string, _local string")
        data = reduce(DataFrame.unionByName, frames)
        data = (
            data.withColumn("_local", F.expr(_LOCAL_PATH_SQL))
            .join(F.broadcast(lookup), "_local", "left")
            .withColumn("_ingested_at", F.lit(ingested_at).cast("timestamp"))
        )
        data = data.persist()
        counts = {(r["_batch_id"], r["_source_file"]): r["count"]
                  for r in data.groupBy("_batch_id", "_source_file").count().collect()}
        untraced = counts.pop((None, None), 0)
        if untraced:  # never drop rows silently: a row must map back to its landing file
            lost = data.where(F.col("_batch_id").isNull()).select("_path").distinct().limit(5).collect()
            data.unpersist()
            raise RuntimeError(f"bronze.{source.name}: {untraced} rows read from {[r[0] for r in lost]} "
                               "could not be traced back to their landing file; nothing written")
        io.overwrite(spark, settings, spec, data, where=where)
        data.unpersist()
    else:
        counts = {}
        io.overwrite(spark, settings, spec, spark.createDataFrame([], io.spark_schema(spec)), where=where)

    for p in accepted:  # the parser must land what the line scan counted, or the difference is reported
        landed = int(counts.get((p.batch_id, p.path.name), 0))
        if p.records is not None and landed != p.records:
            p.notes.append(f"line accounting: {p.physical_lines} physical lines hold {p.records} records by the "
                           f"line scan, but the parser landed {landed} rows")
    log_rows = [
        (source.name, p.batch_id, p.path.name, p.sha256, p.file_format, p.encoding, p.delimiter,
         "accepted" if p.accepted else "rejected",
         p.rejected or ("; ".join(p.notes) or None),
         int(counts.get((p.batch_id, p.path.name), 0)), ingested_at, p.bytes, p.physical_lines, p.records)
        for p in todo
    ]
    log_df = spark.createDataFrame(log_rows, io.spark_schema(INGEST_FILES))
    io.overwrite(spark, settings, INGEST_FILES, log_df,
                 where=(F.col("source") == source.name) & F.col("batch_id").isin(batches_todo))
    result.landed_batches[source.name] = batches_todo
    result.rows[source.name] = int(sum(counts.values()))


def run(spark: SparkSession, settings: Settings, sources: list[str] | None = None, progress=None) -> BronzeResult:
    """Land all sources (or the named ones); return what was landed, skipped and rejected."""
    if not settings.landing_dir.is_dir():
        raise FileNotFoundError(
            f"no landing directory at {settings.landing_dir}; run `lakecast generate` or copy files there"
        )
    unknown = sorted(set(sources or []) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown landing sources {unknown}; known: {sorted(SOURCES)}")
    result = BronzeResult()
    ingested_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    result.run_id = f"bronze-{ingested_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    publish.recover(spark, settings, "bronze", progress)
    for name in sources or list(SOURCES):
        land_source(spark, settings, SOURCES[name], result, ingested_at, progress)
    publish.publish(spark, settings, "bronze", result.run_id)  # last step: the bronze tables become visible together
    return result
