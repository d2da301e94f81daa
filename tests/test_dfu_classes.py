"""ABC / XYZ classes: the scalar, numpy and SQL (DuckDB) forms of lakecast.dfu_classes agree, at the boundaries."""

from __future__ import annotations

import duckdb
import numpy as np

from lakecast.dfu_classes import abc_case_sql, abc_class, abc_classes, xyz_case_sql, xyz_class, xyz_classes

# cv -> class by hand: X below 0.5, Y below 1.0, else Z; the bounds themselves belong to the next class
XYZ_CASES = [(0.0, "X"), (0.4999, "X"), (0.5, "Y"), (0.9999, "Y"), (1.0, "Z"), (3.0, "Z"), (None, "Z")]
# (share of the DFUs before, own volume) -> class by hand
ABC_CASES = [(0.0, 10.0, "A"), (0.7999, 1.0, "A"), (0.80, 1.0, "B"), (0.9499, 1.0, "B"), (0.95, 1.0, "C"),
             (0.0, 0.0, "C"), (0.1, -1.0, "C")]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> object:
    """The one value of a one-row, one-column query."""
    row = con.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def test_xyz_scalar_numpy_and_sql_agree_at_the_bounds() -> None:
    cvs = [c for c, _ in XYZ_CASES]
    expected = [x for _, x in XYZ_CASES]
    assert [xyz_class(c) for c in cvs] == expected
    assert list(xyz_classes(np.array([np.nan if c is None else c for c in cvs]))) == expected
    con = duckdb.connect()
    sql_classes = [_scalar(con, f"SELECT {xyz_case_sql('cv')} FROM (SELECT ?::DOUBLE AS cv)", [c]) for c in cvs]
    assert sql_classes == expected


def test_abc_scalar_and_sql_agree_at_the_bounds() -> None:
    con = duckdb.connect()
    for before, vol, expected in ABC_CASES:
        assert abc_class(before, vol) == expected, (before, vol)
        got = _scalar(con, f"SELECT {abc_case_sql('b', 'v')} FROM (SELECT ?::DOUBLE AS b, ?::DOUBLE AS v)",
                      [before, vol])
        assert got == expected, (before, vol)


def test_abc_classes_of_a_panel() -> None:
    # volumes 50, 30, 15, 5, 0 of 100: shares before are 0, .5, .8, .95, 1 -> A, A, B, C, C; ties ranked by id
    vol = np.array([15.0, 50.0, 0.0, 5.0, 30.0])
    ids = np.array(["c", "a", "e", "d", "b"])
    assert list(abc_classes(vol, ids)) == ["B", "A", "C", "C", "A"]
    # a tie: y ranks before z (share before y .6 -> A, before z .8 -> B)
    assert list(abc_classes(np.array([20.0, 60.0, 20.0]), np.array(["z", "a", "y"]))) == ["B", "A", "A"]


def test_abc_classes_of_a_random_panel_equal_the_scalar_rule() -> None:
    """The vectorised panel form equals ranking by hand and applying the scalar rule DFU by DFU."""
    rng = np.random.default_rng(3)
    vol = np.round(rng.gamma(0.5, 100.0, 400)) * (rng.random(400) > 0.1)
    ids = np.array([f"d{i:04d}" for i in rng.permutation(400)])
    ranked = sorted(range(400), key=lambda i: (-vol[i], ids[i]))
    total, before, expected = vol.sum(), 0.0, {}
    for i in ranked:
        expected[i] = abc_class(before / total, vol[i])
        before += vol[i]
    assert list(abc_classes(vol, ids)) == [expected[i] for i in range(400)]


def test_the_forecasting_core_uses_the_one_rule() -> None:
    from lakecast.forecast import features

    assert features.abc_classes is abc_classes and features.xyz_classes is xyz_classes
