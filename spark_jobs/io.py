"""Iceberg table I/O: create from contracts, atomic overwrites, snapshot ids. All writes go through here."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.base import TableSpec
from lakecast.settings import Settings
from spark_jobs.schema import create_table_sql, spark_schema


def table_name(settings: Settings, spec: TableSpec) -> str:
    return f"{settings.catalog.name}.{spec.fqn}"


def ensure_table(spark: SparkSession, settings: Settings, spec: TableSpec) -> str:
    """Create the namespace and table (with partition spec and write order) if missing; return its name."""
    name = table_name(settings, spec)
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {settings.catalog.name}.{spec.namespace}")
    if not spark.catalog.tableExists(name):
        spark.sql(create_table_sql(spec, settings.catalog.name))
        if spec.sort_by:
            spark.sql(f"ALTER TABLE {name} WRITE ORDERED BY {', '.join(spec.sort_by)}")
    else:
        _add_new_columns(spark, name, spec)
    return name


def _add_new_columns(spark: SparkSession, name: str, spec: TableSpec) -> None:
    """Add the contract's nullable columns a table made by an older contract lacks (Iceberg schema evolution)."""
    have = {f.name for f in spark.table(name).schema.fields}
    new = [f for f in spark_schema(spec).fields if f.name not in have]
    required = [f.name for f in new if not f.nullable]
    if required:
        raise ValueError(f"{spec.fqn}: the contract adds required columns {required}; rebuild the table")
    if new:
        cols = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in new)
        spark.sql(f"ALTER TABLE {name} ADD COLUMNS ({cols})")


def conform(df: DataFrame, spec: TableSpec) -> DataFrame:
    """Select and cast ``df``'s columns to the contract's schema, in contract order; fails on missing columns."""
    schema = spark_schema(spec)
    missing = [f.name for f in schema.fields if f.name not in df.columns]
    if missing:
        raise ValueError(f"{spec.fqn}: DataFrame lacks contract columns {missing}")
    return df.select([F.col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in schema.fields])


def overwrite(spark: SparkSession, settings: Settings, spec: TableSpec, df: DataFrame,
              where: Column | None = None) -> int | None:
    """Atomically replace the rows matching ``where`` (all rows if None) with ``df``; return the new snapshot id.

    One Iceberg commit: readers see either the old or the new content, never a mix, and a job killed before
    the commit leaves the previous snapshot serving.
    """
    name = ensure_table(spark, settings, spec)
    conform(df, spec).writeTo(name).overwrite(where if where is not None else F.lit(True))
    return snapshot_id(spark, settings, spec)


def append(spark: SparkSession, settings: Settings, spec: TableSpec, df: DataFrame) -> int | None:
    name = ensure_table(spark, settings, spec)
    conform(df, spec).writeTo(name).append()
    return snapshot_id(spark, settings, spec)


def read(spark: SparkSession, settings: Settings, spec: TableSpec) -> DataFrame:
    """Return the table's current snapshot (an empty frame of the right schema if the table does not exist)."""
    name = table_name(settings, spec)
    if not spark.catalog.tableExists(name):
        return spark.createDataFrame([], spark_schema(spec))
    return spark.table(name)


def exists(spark: SparkSession, settings: Settings, spec: TableSpec) -> bool:
    return spark.catalog.tableExists(table_name(settings, spec))


def snapshot_id(spark: SparkSession, settings: Settings, spec: TableSpec) -> int | None:
    """Return the current snapshot id of the table, or None if it has none yet."""
    name = table_name(settings, spec)
    if not spark.catalog.tableExists(name):
        return None
    rows = spark.sql(
        f"SELECT snapshot_id FROM {name}.refs WHERE name = 'main'"
    ).collect()
    return rows[0][0] if rows else None


def row_count(spark: SparkSession, settings: Settings, spec: TableSpec) -> int:
    if not exists(spark, settings, spec):
        return 0
    return spark.table(table_name(settings, spec)).count()
