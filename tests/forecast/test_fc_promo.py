"""The promotion plan read as of a forecast origin (lakecast.forecast.promo), on hand-computed values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lakecast.forecast.promo import plan_as_of, planned_discount

D = dt.date


@pytest.fixture
def plan() -> pd.DataFrame:
    rows = [
        # item A, 2025-05: planned 20% in Feb, revised to 30% on Mar 31 (the origin's last day: visible)
        ("P1", "A", D(2025, 5, 1), 20.0, "planned", D(2025, 2, 10)),
        ("P1", "A", D(2025, 5, 1), 30.0, "planned", D(2025, 3, 31)),
        # item A, 2025-06: planned 15% in March, cancelled on Apr 1 -- after the origin, so not yet seen
        ("P2", "A", D(2025, 6, 1), 15.0, "planned", D(2025, 3, 5)),
        ("P2", "A", D(2025, 6, 1), 15.0, "cancelled", D(2025, 4, 1)),
        # item B, 2025-04: planned, then cancelled in March: nothing planned
        ("P3", "B", D(2025, 4, 1), 25.0, "planned", D(2025, 1, 20)),
        ("P3", "B", D(2025, 4, 1), 25.0, "cancelled", D(2025, 3, 15)),
        # item B, 2025-05: first published on Apr 2, after the origin: not seen
        ("P4", "B", D(2025, 5, 1), 10.0, "planned", D(2025, 4, 2)),
        # item C, 2025-07: beyond the requested months
        ("P5", "C", D(2025, 7, 1), 35.0, "planned", D(2025, 3, 1)),
    ]
    return pd.DataFrame(rows, columns=["plan_id", "item_id", "promo_month", "discount_pct", "status", "published_at"])


def test_planned_discount_sees_only_versions_published_by_the_origin_month_end(plan):
    got = planned_discount(plan, origin=D(2025, 3, 1), months=[D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)])
    expected = pd.DataFrame(
        {
            "item_id": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
            "target_month": pd.to_datetime(["2025-04-01", "2025-05-01", "2025-06-01"] * 3),
            "planned_discount_pct": [0.0, 30.0, 15.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_one_month_later_the_april_versions_are_seen(plan):
    got = planned_discount(plan, origin="2025-04", months=["2025-05-15", "2025-06-01"], items=["A", "B", "Z"])
    by_key = {(r.item_id, f"{r.target_month:%Y-%m}"): r.planned_discount_pct for r in got.itertuples()}
    assert by_key == {
        ("A", "2025-05"): 30.0,
        ("A", "2025-06"): 0.0,  # cancelled on Apr 1
        ("B", "2025-05"): 10.0,  # published Apr 2
        ("B", "2025-06"): 0.0,
        ("Z", "2025-05"): 0.0,  # an item without any plan
        ("Z", "2025-06"): 0.0,
    }


def test_plan_as_of_keeps_the_latest_version_and_a_same_day_cancellation_wins(plan):
    same_day = pd.concat(
        [plan, pd.DataFrame([("P9", "C", D(2025, 7, 1), 35.0, "cancelled", D(2025, 3, 1))], columns=plan.columns)]
    )
    visible = plan_as_of(same_day, pd.Timestamp("2025-03-20"))  # any day of the origin month: its month end
    got = {(r.item_id, f"{r.promo_month:%Y-%m}"): (r.status, r.discount_pct, r.published_at.date())
           for r in visible.itertuples()}
    assert got == {
        ("A", "2025-05"): ("planned", 30.0, D(2025, 3, 31)),
        ("A", "2025-06"): ("planned", 15.0, D(2025, 3, 5)),
        ("B", "2025-04"): ("cancelled", 25.0, D(2025, 3, 15)),
        ("C", "2025-07"): ("cancelled", 35.0, D(2025, 3, 1)),
    }
    with pytest.raises(ValueError, match="status"):
        plan_as_of(plan.drop(columns="status"), D(2025, 3, 1))
