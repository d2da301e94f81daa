"""Pure SCD type 2 construction from dated master snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from contracts.silver import OPEN_END


def scd2_from_snapshots(
    df: DataFrame, key: str, attributes: Sequence[str], effective_col: str = "effective_date"
) -> DataFrame:
    """Return one row per key per period of unchanged attributes.

    Input: typed snapshot rows (key, attributes..., effective_col), at most one per key and date. A row opens
    a new version only when its attributes differ from the key's previous snapshot. Versions are half-open:
    [valid_from, valid_to); the latest version per key has valid_to = 9999-12-31 and is_current = true.
    """
    by_key = Window.partitionBy(key).orderBy(effective_col)
    fingerprint = F.sha2(F.to_json(F.struct(*[F.col(a) for a in attributes])), 256)
    versions = (
        df.withColumn("_fp", fingerprint)
        .withColumn("_prev_fp", F.lag("_fp").over(by_key))
        .where(F.col("_prev_fp").isNull() | (F.col("_fp") != F.col("_prev_fp")))
        .withColumn("valid_from", F.col(effective_col))
    )
    next_from = F.lead("valid_from").over(Window.partitionBy(key).orderBy("valid_from"))
    return (
        versions.withColumn("valid_to", F.coalesce(next_from, F.lit(OPEN_END.isoformat()).cast("date")))
        .withColumn("is_current", F.col("valid_to") == F.lit(OPEN_END.isoformat()).cast("date"))
        .select(key, *attributes, "valid_from", "valid_to", "is_current")
    )
