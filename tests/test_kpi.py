"""The KPIs (WAPE, Accuracy%, bias, MAPE, FVA) agree across their SQL (run by DuckDB), the API's sums-to-metrics
code, the chat's semantic layer and the pandas/numpy implementation, on rows with zeros and negative actuals;
every value is checked against a number computed by hand here.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from api.services.analytics.accuracy import SLICE_SORTS
from api.services.analytics.common import metric_columns, metrics_from
from lakecast import kpi
from lakecast.chat.semantic import METRICS
from lakecast.forecast import metrics as M

# group -> (actual, model forecast, reference forecast or None = the reference has no such row)
ROWS: dict[str, list[tuple[float, float, float | None]]] = {
    # zeros and a negative actual: sum|A| = 35 but sum A = 25
    "mixed": [(10, 12, 10), (0, 3, 0), (-5, -2, 0), (20, 15, 20)],
    "all_zero": [(0, 1, 0), (0, 2, 1)],  # every KPI undefined
    "wape_over_1": [(1, 5, 1), (2, 0, 2)],  # Accuracy% floors at 0
    "sum_a_zero": [(5, 4, 5), (-5, -4, -5)],  # sum A = 0: bias undefined, WAPE defined
    "partial_ref": [(10, 8, 10), (10, 12, 5), (10, 30, None)],  # FVA only on the two shared rows
}

# by hand: sum|F-A|, sum|A|, sum F, sum A, APE terms over A != 0; FVA on the rows the reference has
HAND: dict[str, dict[str, float | None]] = {
    "mixed": {"wape": 13 / 35, "accuracy_pct": 100 * (1 - 13 / 35), "bias": 28 / 25 - 1,
              "mape": 100 * (2 / 10 + 3 / 5 + 5 / 20) / 3,
              # reference errors 0 + 0 + 5 + 0 = 5 -> Accuracy% 100 (1 - 5/35)
              "fva": 100 * (1 - 13 / 35) - 100 * (1 - 5 / 35)},
    "all_zero": {"wape": None, "accuracy_pct": None, "bias": None, "mape": None, "fva": None},
    # WAPE 6/3 = 2 -> Accuracy% 0; the reference is exact (100): FVA -100, not -200 (floored Accuracy%)
    "wape_over_1": {"wape": 2.0, "accuracy_pct": 0.0, "bias": 5 / 3 - 1, "mape": 100 * (4 / 1 + 2 / 2) / 2,
                    "fva": -100.0},
    "sum_a_zero": {"wape": 0.2, "accuracy_pct": 80.0, "bias": None, "mape": 100 * (1 / 5 + 1 / 5) / 2,
                   "fva": 80.0 - 100.0},
    # all rows: errors 2 + 2 + 20 = 24 over 30; shared rows: model 4/20 -> 80, reference 5/20 -> 75
    "partial_ref": {"wape": 24 / 30, "accuracy_pct": 100 * (1 - 24 / 30), "bias": 50 / 30 - 1,
                    "mape": 100 * (0.2 + 0.2 + 2.0) / 3, "fva": 5.0},
}
KPIS = ("wape", "accuracy_pct", "bias", "mape")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    model, ref = [], []
    for grp, rows in ROWS.items():
        for i, (a, f, r) in enumerate(rows):
            model.append({"dfu_id": grp, "k": i, "actual_qty": float(a), "fcst_qty": float(f),
                          "abs_error": abs(float(f) - float(a))})
            if r is not None:
                ref.append({"dfu_id": grp, "k": i, "actual_qty": float(a), "fcst_qty": float(r),
                            "abs_error": abs(float(r) - float(a))})
    return pd.DataFrame(model), pd.DataFrame(ref)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    model, ref = _frames()
    c = duckdb.connect()
    c.register("model_rows", model)
    c.register("ref_rows", ref)
    return c


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, dict[str, object]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def _check(value: object, expected: float | None, what: str) -> None:
    if expected is None:
        assert value is None, f"{what}: expected undefined, got {value}"
    else:
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), f"{what}: {value} != {expected}"


def test_kpi_sql_on_duckdb_equals_hand_computed(con) -> None:
    got = _query(con, f"SELECT dfu_id, {kpi.wape_sql('abs_error', 'actual_qty')} AS wape, "
                      f"{kpi.accuracy_pct_sql('abs_error', 'actual_qty')} AS accuracy_pct, "
                      f"{kpi.bias_sql('fcst_qty', 'actual_qty')} AS bias, "
                      f"{kpi.mape_sql('abs_error', 'actual_qty')} AS mape FROM model_rows GROUP BY dfu_id")
    fva = _query(con, f"SELECT f.dfu_id, {kpi.fva_sql('f.abs_error', 'b.abs_error', 'f.actual_qty')} AS fva "
                      "FROM model_rows f JOIN ref_rows b ON b.dfu_id = f.dfu_id AND b.k = f.k GROUP BY f.dfu_id")
    for grp, hand in HAND.items():
        for k in KPIS:
            _check(got[grp][k], hand[k], f"SQL {k} of {grp}")
        _check(fva[grp]["fva"], hand["fva"], f"SQL fva of {grp}")


def test_kpi_pandas_implementation_equals_hand_computed() -> None:
    model, ref = _frames()
    both = model.merge(ref, on=["dfu_id", "k"], suffixes=("", "_ref"))
    for grp, hand in HAND.items():
        g = model.loc[model["dfu_id"] == grp]
        for k in KPIS:
            _check(getattr(M, k)(g["actual_qty"], g["fcst_qty"]), hand[k], f"pandas {k} of {grp}")
        s = both.loc[both["dfu_id"] == grp]
        fva = kpi.fva(M.accuracy_pct(s["actual_qty"], s["fcst_qty"]),
                      M.accuracy_pct(s["actual_qty"], s["fcst_qty_ref"]))
        _check(fva, hand["fva"], f"pandas fva of {grp}")


def test_api_sums_to_metrics_equal_hand_computed(con) -> None:
    """The API's pooled metrics: SQL sums (``metric_columns``) turned into KPIs by ``metrics_from``."""
    sums = _query(con, f"SELECT a.dfu_id AS g, {metric_columns('a')} FROM model_rows a GROUP BY a.dfu_id")
    for grp, hand in HAND.items():
        m = metrics_from(sums[grp])
        for k in KPIS:
            _check(m[k], hand[k], f"API {k} of {grp}")


def test_api_slice_sorts_and_chat_metrics_are_the_rendered_kpis(con) -> None:
    """The slice sort expressions and the chat's metric SQL compute the same numbers (chat in percent)."""
    api = _query(con, f"SELECT a.dfu_id AS g, {SLICE_SORTS['wape']} AS wape, "
                      f"{SLICE_SORTS['accuracy_pct']} AS accuracy_pct, {SLICE_SORTS['bias']} AS bias "
                      "FROM model_rows a GROUP BY a.dfu_id")
    chat = _query(con, f"SELECT f.dfu_id AS g, {METRICS['wape_pct'].sql['accuracy']} AS wape, "
                       f"{METRICS['accuracy_pct'].sql['accuracy']} AS accuracy_pct, "
                       f"{METRICS['bias_pct'].sql['accuracy']} AS bias, "
                       f"{METRICS['mape_pct'].sql['accuracy']} AS mape FROM model_rows f GROUP BY f.dfu_id")
    chat_fva = _query(con, f"SELECT f.dfu_id AS g, {METRICS['fva_naive_pp'].sql['accuracy']} AS fva "
                           "FROM model_rows f JOIN ref_rows bn ON bn.dfu_id = f.dfu_id AND bn.k = f.k "
                           "GROUP BY f.dfu_id")
    pct = {"wape": 100.0, "bias": 100.0, "accuracy_pct": 1.0, "mape": 1.0}
    for grp, hand in HAND.items():
        for k in ("wape", "accuracy_pct", "bias"):
            _check(api[grp][k], hand[k], f"API sort {k} of {grp}")
        for k in KPIS:
            want = hand[k]
            _check(chat[grp][k], None if want is None else pct[k] * want, f"chat {k} of {grp}")
        _check(chat_fva[grp]["fva"], hand["fva"], f"chat fva of {grp}")
