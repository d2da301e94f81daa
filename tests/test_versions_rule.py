"""The version rules of lakecast/versions.py: which version stands in a cycle, what was published "as of" a cycle,
retention; the Python functions against hand-written answers and against their SQL on DuckDB (the Spark jobs run the
same SQL in tests/api_analytics/test_versions.py)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from lakecast import versions as rule

T0 = dt.datetime(2025, 1, 1)
#: (version_id, scenario, cycle, published minutes after T0)
VERSIONS = [
    ("f1", "baseline", "2025-01", 0), ("x1", "final", "2025-01", 5),
    ("f2", "baseline", "2025-02", 60), ("x2", "final", "2025-02", 65), ("f2b", "baseline", "2025-02", 70),
    ("f3", "baseline", "2025-03", 120),
    ("f4b", "baseline", "2025-04", 180), ("f4a", "baseline", "2025-04", 180),  # same instant: higher id wins
]


def rows() -> list[dict]:
    return [{"version_id": v, "scenario_id": s, "planning_cycle": c, "published_at": T0 + dt.timedelta(minutes=m),
             "fcst_origin": rule.cycle_start(c)} for v, s, c, m in VERSIONS]


def test_standing_and_as_of_by_hand():
    assert rule.standing(rows()) == {("baseline", "2025-01"): "f1", ("final", "2025-01"): "x1",
                                     ("baseline", "2025-02"): "f2b", ("final", "2025-02"): "x2",
                                     ("baseline", "2025-03"): "f3", ("baseline", "2025-04"): "f4b"}
    assert rule.as_of(rows(), "2025-03") == {"baseline": "f3", "final": "x2"}  # no final in 2025-03: 2025-02's
    assert rule.as_of(rows(), "2025-01") == {"baseline": "f1", "final": "x1"}
    assert rule.as_of(rows(), "2024-12") == {}
    assert rule.as_of(rows(), "2030-01") == {"baseline": "f4b", "final": "x2"}


@pytest.mark.parametrize("cycle", ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2030-01"])
def test_the_sql_agrees_with_python_on_duckdb(cycle):
    con = duckdb.connect()
    con.execute("CREATE TABLE v (version_id VARCHAR, scenario_id VARCHAR, planning_cycle VARCHAR, "
                "published_at TIMESTAMP, fcst_origin DATE)")
    for r in rows():
        for _ in range(3):  # several rows per version, as in the table
            con.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", [
                r["version_id"], r["scenario_id"], r["planning_cycle"], r["published_at"], r["fcst_origin"]])
    standing = {(s, c): v for s, c, v, *_ in con.execute(rule.standing_versions_sql("v")).fetchall()}
    assert standing == rule.standing(rows())
    as_of = {s: v for s, _, v, *_ in con.execute(rule.as_of_versions_sql("v"), [cycle]).fetchall()}
    assert as_of == rule.as_of(rows(), cycle)


def test_cycles_and_retention():
    assert rule.cycle_of(dt.date(2025, 3, 1)) == "2025-03"
    assert rule.cycle_start("2025-03") == dt.date(2025, 3, 1)
    for bad in ("2025-13", "2025-3", "25-03", "", "2025-03-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            rule.parse_cycle(bad)
    cycles = ["2025-02", "2025-01", "2025-04", "2025-03", "2025-04"]
    assert rule.retained_cycles(cycles, None) == {"2025-01", "2025-02", "2025-03", "2025-04"}
    assert rule.retained_cycles(cycles, 2) == {"2025-03", "2025-04"}
    assert rule.retained_cycles(cycles, 10) == {"2025-01", "2025-02", "2025-03", "2025-04"}
