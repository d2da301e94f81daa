"""Spark schemas and Iceberg DDL derived from the pydantic contracts (never written twice)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import types as T

from contracts.base import TableSpec

_SPARK_TYPES = {
    str: T.StringType(),
    int: T.LongType(),
    float: T.DoubleType(),
    bool: T.BooleanType(),
    dt.date: T.DateType(),
    dt.datetime: T.TimestampType(),
}


def spark_schema(spec: TableSpec) -> T.StructType:
    """Return the StructType of a table, column order and nullability as in its contract."""
    fields = []
    for name, py_type, nullable, doc in spec.columns():
        if py_type not in _SPARK_TYPES:
            raise TypeError(f"{spec.fqn}.{name}: unsupported type {py_type!r}")
        fields.append(T.StructField(name, _SPARK_TYPES[py_type], nullable, metadata={"comment": doc}))
    return T.StructType(fields)


def create_table_sql(spec: TableSpec, catalog: str) -> str:
    """Return CREATE TABLE IF NOT EXISTS DDL (Iceberg format v2) with partition spec and column comments."""
    cols = []
    for field in spark_schema(spec).fields:
        null = "" if field.nullable else " NOT NULL"
        comment = field.metadata.get("comment", "").replace("'", "\\'")
        cols.append(f"  `{field.name}` {field.dataType.simpleString()}{null} COMMENT '{comment}'")
    parts = f"\nPARTITIONED BY ({', '.join(spec.partition_by)})" if spec.partition_by else ""
    grain = spec.grain.replace("'", "\\'")
    return (
        f"CREATE TABLE IF NOT EXISTS {catalog}.{spec.fqn} (\n" + ",\n".join(cols) + "\n) USING iceberg"
        f"{parts}\nCOMMENT '{grain}'\n"
        "TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', "
        "'write.distribution-mode'='hash')"
    )
