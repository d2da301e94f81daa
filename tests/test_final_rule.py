"""The fold rule of the final forecast (lakecast/final.py): which override wins a DFU-month, and the quantity, in
Python and as SQL run by DuckDB; every expected value is written by hand here. (Spark SQL runs the same cases in
tests/spark/test_final_job.py; the API overlay against the Spark job in tests/api_analytics/test_final_overlay.py.)
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from lakecast import final as rule

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))
T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


def ov(oid: int, dfu: str, start: dt.date, end: dt.date, *, qty: float | None = None, pct: float | None = None,
       status: str = "approved", decided_minutes: int = 0) -> dict:
    return {"id": oid, "dfu_id": dfu, "start_month": start, "end_month": end, "new_qty": qty, "pct_change": pct,
            "status": status, "decided_at": None if status in ("draft", "submitted") else
            T0 + dt.timedelta(minutes=decided_minutes)}


#: (statistical qty, new_qty, pct_change) -> final qty, by hand
QTY_CASES = [
    (100.0, None, None, 100.0),  # no override
    (100.0, 250.0, None, 250.0),  # absolute
    (100.0, 0.0, None, 0.0),  # absolute zero is an override, not "no override"
    (100.0, None, 15.0, 115.0),
    (80.0, None, -100.0, 0.0),  # -100 % zeroes it
    (40.0, None, 0.0, 40.0),  # +0 %: folded, same quantity
    (0.0, None, 50.0, 0.0),  # a percentage of zero stays zero
    (3.0, None, 1000.0, 33.0),
]


@pytest.mark.parametrize(("stat", "qty", "pct", "want"), QTY_CASES)
def test_fold_qty(stat, qty, pct, want) -> None:
    adj = None if qty is None and pct is None else rule.Adjustment("1", qty, pct)
    assert rule.fold_qty(stat, adj) == pytest.approx(want, abs=1e-12)


def test_fold_qty_sql_runs_the_same_rule_in_duckdb() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER, stat DOUBLE, new_qty DECIMAL(18, 3), pct DECIMAL(7, 2))")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(i, s, q, p) for i, (s, q, p, _) in enumerate(QTY_CASES)])
    got = dict(con.execute(f"SELECT k, {rule.fold_qty_sql('stat', 'new_qty', 'pct')} FROM t").fetchall())
    folded = dict(con.execute(f"SELECT k, {rule.folded_sql('coalesce(new_qty, pct)')} FROM t").fetchall())
    for i, (_, qty, pct, want) in enumerate(QTY_CASES):
        assert got[i] == pytest.approx(want, abs=1e-12), QTY_CASES[i]
        assert folded[i] == (qty is not None or pct is not None)


def test_latest_decision_wins_and_only_approved_count() -> None:
    overrides = [
        ov(5, "A|L1", JAN, MAR, qty=500, decided_minutes=0),
        ov(3, "A|L1", FEB, FEB, pct=10, decided_minutes=5),  # decided later: wins Feb despite a lower id
        ov(7, "A|L1", MAR, MAR, qty=1, status="rejected", decided_minutes=9),
        ov(8, "A|L1", JAN, JAN, qty=2, status="withdrawn", decided_minutes=9),
        ov(9, "A|L1", JAN, JAN, qty=3, status="submitted"),
        ov(10, "A|L1", JAN, JAN, qty=4, status="draft"),
        ov(11, "B|L1", MAR, APR, pct=-20, decided_minutes=1),
        ov(12, "B|L1", MAR, MAR, qty=9, decided_minutes=1),  # same decision time: the higher id wins
    ]
    won = rule.winning_overrides(reversed(overrides))  # input order does not matter
    assert won == {
        ("A|L1", JAN): rule.Adjustment("5", 500.0, None),
        ("A|L1", FEB): rule.Adjustment("3", None, 10.0),
        ("A|L1", MAR): rule.Adjustment("5", 500.0, None),
        ("B|L1", MAR): rule.Adjustment("12", 9.0, None),
        ("B|L1", APR): rule.Adjustment("11", None, -20.0),
    }


def test_a_percentage_applies_to_the_statistical_value_never_to_another_override() -> None:
    won = rule.winning_overrides([ov(1, "A|L1", FEB, FEB, qty=500), ov(2, "A|L1", FEB, FEB, pct=10,
                                                                      decided_minutes=1)])
    assert rule.fold_qty(200.0, won[("A|L1", FEB)]) == pytest.approx(220.0)  # 200 x 1.1, not 500 x 1.1


def test_fold_row_marks_lineage_and_drops_the_interval_only_where_folded() -> None:
    base = {"scenario_id": "baseline", "model_id": "champion", "algorithm_id": "selection", "dfu_id": "A|L1",
            "target_month": FEB, "fcst_qty": 50.0, "run_id": "forecast-1", "override_id": None,
            "fcst_lo_80": 40.0, "fcst_hi_80": 60.0, "fcst_lo_95": 30.0, "fcst_hi_95": 70.0}
    kept = rule.fold_row(base, None)
    assert kept == {**base, "scenario_id": "final", "model_id": "final"}
    folded = rule.fold_row(base, rule.Adjustment("42", None, -10.0), run_id="final-x")
    assert folded == {**base, "scenario_id": "final", "model_id": "final", "algorithm_id": "override",
                      "override_id": "42", "fcst_qty": 45.0, "run_id": "final-x", "fcst_lo_80": None,
                      "fcst_hi_80": None, "fcst_lo_95": None, "fcst_hi_95": None}
    assert base["fcst_qty"] == 50.0 and base["scenario_id"] == "baseline"  # the input row is not changed


def test_covered_months_are_inclusive_across_a_year_end() -> None:
    assert rule.covered_months(dt.date(2025, 11, 1), dt.date(2026, 2, 1)) == [
        dt.date(2025, 11, 1), dt.date(2025, 12, 1), JAN, FEB]
    assert rule.covered_months(MAR, MAR) == [MAR]
