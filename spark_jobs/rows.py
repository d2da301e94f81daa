"""The single row of a global aggregate, typed ``Row`` (``DataFrame.first()`` is ``Row | None``)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Row


def one_row(df: DataFrame) -> Row:
    """The row of ``df``, a global aggregate (``df.agg(...)``, ``SELECT count(*) ...``): Spark returns exactly one."""
    row = df.first()
    if row is None:
        raise ValueError("a global aggregate returned no row")
    return row
