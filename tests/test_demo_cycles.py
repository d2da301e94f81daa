"""The demo's planning cycles (issue 13 item 3): which batches each cycle lands, and the planners' seeded overrides.

Expected values are worked out here by hand on small frames: the promotion uplift as the ratio of means, which
plan rows a planner can see at the origin (published by the origin month's end, latest version, not cancelled).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lakecast.generate.overrides import planner_overrides
from lakecast.settings import Settings
from lakecast_cli.cycles import CyclesError, land, plan_cycles, restore

ORIGIN = dt.date(2025, 6, 1)


def _history(dfu: str, promo_months: dict[str, float], plain: float, months: int = 12) -> list[dict]:
    rows = []
    for k in range(months):
        m = dt.date(2024, 7, 1) if k == 0 else dt.date(2024 + (6 + k) // 12, (6 + k) % 12 + 1, 1)
        key = f"{m:%Y-%m}"
        q = promo_months.get(key, plain)
        rows.append({"dfu_id": dfu, "month_start": m, "qty": q, "promo_qty": q if key in promo_months else 0.0})
    return rows


@pytest.fixture
def frames():
    # A|L1: promoted twice at 300 and 200 over a plain 100 -> level 100, uplift 2.5
    # B|L1: promoted once at 150 over a plain 60 -> uplift 2.5; C|L2: never promoted (no informed override)
    history = pd.DataFrame(_history("A|L1", {"2024-09": 300.0, "2025-01": 200.0}, 100.0)
                           + _history("B|L1", {"2025-03": 150.0}, 60.0) + _history("C|L2", {}, 40.0))
    baseline = pd.DataFrame([{"dfu_id": d, "item_id": d[0], "location_id": d[2:]} for d in ("A|L1", "B|L1", "C|L2")])
    plan = pd.DataFrame([
        # A: planned for 2025-08, published before the origin's end -> visible
        {"item_id": "A", "promo_month": dt.date(2025, 8, 1), "discount_pct": 20.0, "status": "planned",
         "published_at": dt.date(2025, 5, 10)},
        # B: planned for 2025-07, then cancelled on 2025-06-20 (<= 2025-06-30) -> no promotion
        {"item_id": "B", "promo_month": dt.date(2025, 7, 1), "discount_pct": 15.0, "status": "planned",
         "published_at": dt.date(2025, 4, 2)},
        {"item_id": "B", "promo_month": dt.date(2025, 7, 1), "discount_pct": 15.0, "status": "cancelled",
         "published_at": dt.date(2025, 6, 20)},
        # C: published after the origin's month end -> not known yet
        {"item_id": "C", "promo_month": dt.date(2025, 8, 1), "discount_pct": 30.0, "status": "planned",
         "published_at": dt.date(2025, 7, 3)},
    ])
    return baseline, history, plan


def test_informed_overrides_use_only_the_plan_known_at_the_origin_and_the_dfus_own_uplift(frames) -> None:
    baseline, history, plan = frames
    got = planner_overrides(baseline, history, plan, ORIGIN, seed=1, n_informed=5, n_uninformed=0)
    assert [(o.item_id, o.location_id, o.start_month, o.end_month, o.reason_code) for o in got] == [
        ("A", "L1", dt.date(2025, 8, 1), dt.date(2025, 8, 1), "promo")]
    assert got[0].informed and got[0].pct_change is None
    assert got[0].new_qty == pytest.approx(100.0 * 2.5)  # level 100 x uplift mean(300, 200) / 100


def test_hunches_are_bounded_start_next_month_and_never_share_a_dfu(frames) -> None:
    baseline, history, plan = frames
    got = planner_overrides(baseline, history, plan, ORIGIN, seed=1, n_informed=5, n_uninformed=5)
    assert len({(o.item_id, o.location_id) for o in got}) == len(got) == 3  # 3 DFUs: one override each
    hunches = [o for o in got if not o.informed]
    assert len(hunches) == 2
    for o in hunches:
        assert o.reason_code in {"market_intel", "other"} and o.new_qty is None
        assert o.pct_change is not None and 10 <= abs(o.pct_change) <= 35
        assert o.start_month == dt.date(2025, 7, 1) and dt.date(2025, 7, 1) <= o.end_month <= dt.date(2025, 9, 1)
    assert {o.planner for o in got} == {"planner", "planner2"}


def test_overrides_are_the_same_for_a_cycle_and_differ_between_cycles(frames) -> None:
    baseline, history, plan = frames
    a = planner_overrides(baseline, history, plan, ORIGIN, seed=3)
    assert a == planner_overrides(baseline, history, plan, ORIGIN, seed=3)
    later = [planner_overrides(baseline, history, plan, dt.date(2025, m, 1), seed=3) for m in (7, 8, 9, 10)]
    assert any(b != a for b in later)


def _landing(tmp_path: Path) -> Settings:
    s = Settings(data_dir=tmp_path / "data")
    for y in (2023, 2024, 2025):
        for m in range(1, 13):
            (s.landing_dir / "sales_lines" / f"{y}-{m:02d}").mkdir(parents=True)
    for d in ("2023-01-01", "2025-05-15", "2025-11-01"):
        (s.landing_dir / "item_master" / d).mkdir(parents=True)
    (s.landing_dir / "promo_plan" / "2025").mkdir(parents=True)
    return s


def _listing(s: Settings) -> set[str]:
    return {f"{p.parent.name}/{p.name}" for p in s.landing_dir.glob("*/*")}


def test_cycles_hold_back_each_later_months_batches_and_land_them_in_order(tmp_path: Path) -> None:
    s = _landing(tmp_path)
    before = _listing(s)
    plan = plan_cycles(s, 3)
    assert plan.origins == [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    held = {m: sorted(f"{p.parent.name}/{p.name}" for p in ps) for m, ps in plan.held.items()}
    # the 2025-11-01 master snapshot lands with November's sales; 2025-05-15 is before the first origin
    assert held == {dt.date(2025, 11, 1): ["item_master/2025-11-01", "sales_lines/2025-11"],
                    dt.date(2025, 12, 1): ["sales_lines/2025-12"]}
    assert _listing(s) == before - {"item_master/2025-11-01", "sales_lines/2025-11", "sales_lines/2025-12"}
    land(s, plan.held[dt.date(2025, 11, 1)])
    assert _listing(s) == before - {"sales_lines/2025-12"}
    assert restore(s) == 1 and _listing(s) == before and not (s.data_path / "landing_held").exists()


def test_an_interrupted_run_is_restored_before_cycles_are_planned_again(tmp_path: Path) -> None:
    s = _landing(tmp_path)
    before = _listing(s)
    plan_cycles(s, 4)  # interrupted: three sales months and the 2025-11-01 master snapshot still held back
    assert restore(s) == 4 and _listing(s) == before
    assert plan_cycles(s, 2).origins == [dt.date(2025, 11, 1), dt.date(2025, 12, 1)]


def test_too_little_history_for_the_cycles_is_a_clear_error_and_moves_nothing(tmp_path: Path) -> None:
    s = _landing(tmp_path)
    before = _listing(s)
    with pytest.raises(CyclesError, match="needs at least 37"):
        plan_cycles(s, 25)
    with pytest.raises(CyclesError, match=">= 1"):
        plan_cycles(s, 0)
    assert _listing(s) == before
