"""gold.dim_dfu's ABC / XYZ classes (spark_jobs.gold_transforms.abc_xyz) follow lakecast.dfu_classes, bounds
included: a CV of exactly 0.5 is Y and of exactly 1.0 is Z (the documented strict ``<``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lakecast.dfu_classes import xyz_class
from spark_jobs.gold_transforms import abc_xyz

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def test_abc_xyz_at_the_bounds(spark: Any) -> None:
    # two months each; CV = pstdev / mean: [1, 3] -> 0.5, [0, 2] -> 1.0, [10, 10] -> 0, [0, 0] -> undefined
    qty = {"edge_half": (1.0, 3.0), "edge_one": (0.0, 2.0), "flat": (10.0, 10.0), "zero": (0.0, 0.0)}
    rows = [(d, dt.date(2024, m, 1), q[m - 1]) for d, q in qty.items() for m in (1, 2)]
    got = {r["dfu_id"]: (r["abc_class"], r["xyz_class"], r["qty_12m"])
           for r in abc_xyz(spark.createDataFrame(rows, "dfu_id string, month_start date, qty double")).collect()}
    # by hand: volumes 20, 4, 2, 0 of 26; shares before them 0, 20/26 = .77, 24/26 = .92 -> A, A, B; zero -> C
    assert got == {"flat": ("A", "X", 20.0), "edge_half": ("A", "Y", 4.0), "edge_one": ("B", "Z", 2.0),
                   "zero": ("C", "Z", 0.0)}
    assert [xyz_class(c) for c in (0.0, 0.5, 1.0, None)] == ["X", "Y", "Z", "Z"]  # the same rule in Python
