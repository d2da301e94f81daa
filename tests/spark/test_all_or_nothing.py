"""spark_jobs.batches.all_or_nothing rolls every table back to its snapshot on entry when the block fails, whatever
the catalog is called (Iceberg's rollback_to_snapshot procedure resolves the table in the procedure's catalog)."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.ops import PUBLISHED_RUNS
from spark_jobs import io
from spark_jobs.batches import all_or_nothing

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def _rows(spark, settings):
    return sorted(tuple(r) for r in spark.table(io.table_name(settings, PUBLISHED_RUNS)).collect())


def _append(spark, settings, seq: int) -> None:
    at = dt.datetime(2026, 1, 1, 0, 0, seq)
    io.append(spark, settings, PUBLISHED_RUNS, spark.createDataFrame(
        [(seq, "gold", f"gold-{seq}", "gold.dim_dfu", 1000 + seq, at)], io.spark_schema(PUBLISHED_RUNS)))


def test_a_failed_block_rolls_back_in_a_non_default_catalog(spark, isolated_settings):
    from lakecast.runtime.spark import get_spark

    settings = isolated_settings("rollback_cat")
    get_spark(settings)  # registers the catalog on the session
    assert settings.catalog.name != "lakecast"
    _append(spark, settings, 1)
    before_rows, before_snap = _rows(spark, settings), io.snapshot_id(spark, settings, PUBLISHED_RUNS)
    with pytest.raises(RuntimeError, match="boom"), all_or_nothing(spark, settings, [PUBLISHED_RUNS]):
        _append(spark, settings, 2)
        assert len(_rows(spark, settings)) == 2
        raise RuntimeError("boom")
    assert io.snapshot_id(spark, settings, PUBLISHED_RUNS) == before_snap
    assert _rows(spark, settings) == before_rows == [(1, "gold", "gold-1", "gold.dim_dfu", 1001,
                                                      dt.datetime(2026, 1, 1, 0, 0, 1))]
