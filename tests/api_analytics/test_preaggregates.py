"""Every dashboard endpoint answered from the pre-aggregates (gold.agg_accuracy_cube, gold.exceptions_topn) equals
the same KPI computed by Spark SQL from the raw facts (gold.fact_forecast_accuracy x gold.dim_dfu) on the same
snapshot; the SQL below is written here, independently of the API's and of spark_jobs/aggregates.py. Each case
also checks, from the queries the app ran, that the answer came from the pre-aggregate and not from the facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lakecast.lag import add_months
from tests.api_analytics.conftest import METRIC_KEYS

pytestmark = [pytest.mark.integration, pytest.mark.spark]

CUBE, ROLLUP, TOPN = "gold.agg_accuracy_cube", "gold.agg_accuracy_rollup", "gold.exceptions_topn"
FACTS = "gold.fact_forecast_accuracy"
PREAGG = (CUBE, ROLLUP)  # the cube, or its rollup over locations when the request needs no location

# KPIs from raw rows a (facts) x d (dim_dfu): written once here, not taken from lakecast.kpi or the API
KPIS = """count(*) AS n_rows, count(DISTINCT a.dfu_id) AS n_dfus, sum(a.actual_qty) AS actual_qty,
  sum(a.fcst_qty) AS forecast_qty, sum(a.abs_error) AS abs_error,
  sum(a.abs_error) / nullif(sum(abs(a.actual_qty)), 0) AS wape,
  CASE WHEN sum(abs(a.actual_qty)) = 0 THEN NULL
       WHEN sum(a.abs_error) / sum(abs(a.actual_qty)) > 1 THEN 0.0
       ELSE 100.0 * (1.0 - sum(a.abs_error) / sum(abs(a.actual_qty))) END AS accuracy_pct,
  sum(a.fcst_qty) / nullif(sum(a.actual_qty), 0) - 1.0 AS bias,
  100.0 * avg(CASE WHEN a.actual_qty <> 0 THEN abs(a.fcst_qty - a.actual_qty) / abs(a.actual_qty) END) AS mape"""
ROWS = "FROM gold.fact_forecast_accuracy a JOIN gold.dim_dfu d ON d.dfu_id = a.dfu_id WHERE a.scenario_id = 'backtest'"


@pytest.fixture(scope="module")
def recorded(client: TestClient) -> Iterator[list[str]]:
    """The SQL of every query the app's serving engine runs (the engine itself, wrapped to keep the text), after
    one request has cached the per-snapshot lookups (last month, known models and timeframes)."""
    from api.engine import app_engine

    viewer = client.post("/auth/token", data={"username": "viewer", "password": "lakecast"}).json()
    assert client.get("/kpis", params={"window": 1}, headers={
        "Authorization": f"Bearer {viewer['access_token']}"}).status_code == 200

    engine = app_engine(client.app)  # type: ignore[arg-type]
    original = engine.query
    seen: list[str] = []

    def query(sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        seen.append(sql)
        return original(sql, params)

    engine.query = query  # type: ignore[method-assign]
    yield seen
    engine.query = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def anchor(sq) -> dt.date:
    return pd.Timestamp(sq(f"SELECT max(target_month) AS m FROM {FACTS} WHERE scenario_id = 'backtest'")["m"][0]).date()


def call(client, headers, recorded: list[str], path: str, params: dict[str, Any],
         reads: str | tuple[str, ...]) -> Any:
    """GET ``path``; assert it read (one of) ``reads`` and, for the cube, not the facts; return the body."""
    recorded.clear()
    r = client.get(path, params=params, headers=headers["viewer"])
    assert r.status_code == 200, r.text
    tables = (reads,) if isinstance(reads, str) else reads
    assert any(t in sql for sql in recorded for t in tables), f"{path} {params} did not read {reads}: {recorded}"
    if reads == PREAGG:
        assert not any(FACTS in sql for sql in recorded), f"{path} {params} read the facts: {recorded}"
    return r.json()


def lag_sql(lag: str) -> str:
    if lag == "all":
        return "TRUE"
    return "a.lag = d.execution_lag" if lag == "execution" else f"a.lag = {int(lag)}"


def window(anchor: dt.date, n: int) -> str:
    return f"a.target_month BETWEEN DATE '{add_months(anchor, -(n - 1))}' AND DATE '{anchor}'"


def expected(sq, where: str, group: list[str] | None = None) -> pd.DataFrame:
    cols = ", ".join(f"{g} AS g{i}" for i, g in enumerate(group or []))
    grouping = f"GROUP BY {', '.join(group)}" if group else ""
    return sq(f"SELECT {cols + ', ' if cols else ''}{KPIS} {ROWS} AND {where} {grouping}")


def assert_same(got: dict[str, Any], exp: pd.Series, context: str) -> None:
    for key in METRIC_KEYS:
        value = exp[key]
        if pd.isna(value):
            assert got[key] is None, f"{context} {key}: expected null, got {got[key]}"
        else:
            assert got[key] == pytest.approx(float(value), rel=1e-9, abs=1e-9), f"{context} {key}"


def one_value(sq, column: str) -> Any:
    """The most frequent non-null value of a dim_dfu column (a filter that keeps rows)."""
    df = sq(f"SELECT {column} AS v, count(*) AS n FROM gold.dim_dfu WHERE {column} IS NOT NULL GROUP BY {column} "
            f"ORDER BY n DESC, v LIMIT 1")
    return df["v"][0]


# ---------------------------------------------------------------------------------------------- /kpis
@pytest.mark.parametrize(("model", "lag", "n"), [("champion", "execution", 12), ("theta", "all", 6),
                                                 ("external", "2", 12),
                                                 ("seasonal_naive", "0", 6)])  # lag 0 ends at last-4
def test_kpis_from_the_cube_equal_spark(client, headers, recorded, sq, anchor, model, lag, n) -> None:
    body = call(client, headers, recorded, "/kpis", {"window": n, "model_id": model, "lag": lag}, PREAGG)
    exp = expected(sq, f"a.model_id = '{model}' AND {lag_sql(lag)} AND {window(anchor, n)}")
    assert int(exp["n_rows"][0]) > 0
    assert_same(body, exp.iloc[0], f"/kpis {model} {lag} {n}")


@pytest.mark.parametrize("dimension", ["category", "region", "location", "abc_class", "xyz_class", "cluster"])
def test_kpis_with_a_cube_filter_equal_spark(client, headers, recorded, sq, anchor, dimension) -> None:
    column = {"location": "location_id", "cluster": "cluster_id"}.get(dimension, dimension)
    value = one_value(sq, column)
    body = call(client, headers, recorded, "/kpis", {"window": 12, "lag": "all", dimension: value}, PREAGG)
    literal = value if dimension == "cluster" else f"'{value}'"
    exp = expected(sq, f"a.model_id = 'champion' AND {window(anchor, 12)} AND d.{column} = {literal}")
    assert int(exp["n_rows"][0]) > 0
    assert_same(body, exp.iloc[0], f"/kpis {dimension}={value}")


def test_location_requests_read_the_cube_and_the_rest_the_rollup(client, headers, recorded, sq) -> None:
    location = one_value(sq, "location_id")
    for params, table in (({"window": 12}, ROLLUP), ({"window": 12, "location": location}, CUBE),
                          ({"window": 12, "by": "region"}, CUBE), ({"window": 12, "by": "abc_class"}, ROLLUP)):
        path = "/accuracy/slice" if "by" in params else "/kpis"
        call(client, headers, recorded, path, params, table)
        other = CUBE if table == ROLLUP else ROLLUP
        assert not any(f"{other} " in sql for sql in recorded), (params, recorded)


def test_kpis_outside_the_cube_read_the_facts(client, headers, recorded, sq, anchor) -> None:
    brand = one_value(sq, "brand")
    body = call(client, headers, recorded, "/kpis", {"window": 12, "brand": brand}, FACTS)
    exp = expected(sq, f"a.model_id = 'champion' AND {lag_sql('execution')} AND {window(anchor, 12)} "
                       f"AND d.brand = '{brand}'")
    assert_same(body, exp.iloc[0], f"/kpis brand={brand}")


# ---------------------------------------------------------------------------------------------- /trends
@pytest.mark.parametrize("lag", ["execution", "all", "1"])
def test_trends_from_the_cube_equal_spark(client, headers, recorded, sq, anchor, lag) -> None:
    body = call(client, headers, recorded, "/trends", {"window": 12, "lag": lag}, PREAGG)
    exp = expected(sq, f"{lag_sql(lag)} AND {window(anchor, 12)}", ["a.model_id", "a.target_month"])
    by_key = {(r.g0, pd.Timestamp(r.g1).date().isoformat()): r for r in exp.itertuples()}
    got = {(s["model_id"], p["month"]): p for s in body["series"] for p in s["points"]}
    assert set(got) == set(by_key)
    for key, point in got.items():
        assert_same(point, pd.Series(by_key[key]._asdict()), f"/trends {lag} {key}")


# ---------------------------------------------------------------------------------------------- /accuracy/slice
@pytest.mark.parametrize(("by", "column", "lag"), [
    ("category", "d.category", "execution"), ("region", "d.region", "all"), ("location", "d.location_id", "0"),
    ("abc_class", "d.abc_class", "execution"), ("xyz_class", "d.xyz_class", "all"),
    ("cluster", "CAST(d.cluster_id AS STRING)", "execution"), ("model", "a.model_id", "execution"),
])
def test_slices_from_the_cube_equal_spark(client, headers, recorded, sq, anchor, by, column, lag) -> None:
    params = {"window": 12, "by": by, "lag": lag, "limit": 500}
    body = call(client, headers, recorded, "/accuracy/slice", params, PREAGG)
    model = "TRUE" if by == "model" else "a.model_id = 'champion'"
    exp = expected(sq, f"{model} AND {lag_sql(lag)} AND {window(anchor, 12)}", [column])
    by_key = {None if pd.isna(r.g0) else str(r.g0): r for r in exp.itertuples()}
    assert body["total"] == len(by_key) == len(body["items"])
    for item in body["items"]:
        assert_same(item, pd.Series(by_key[item["key"]]._asdict()), f"slice {by}={item['key']}")
    volumes = [(-i["actual_qty"], i["key"] or "\uffff") for i in body["items"]]
    assert volumes == sorted(volumes)


def test_slice_by_lag_from_the_cube_equals_spark(client, headers, recorded, sq, anchor) -> None:
    body = call(client, headers, recorded, "/accuracy/slice", {"window": 12, "by": "lag", "sort": "key"}, PREAGG)
    exp = expected(sq, f"a.model_id = 'champion' AND {window(anchor, 12)}", ["a.lag"])
    assert [i["key"] for i in body["items"]] == [str(k) for k in sorted(exp["g0"])]
    for item in body["items"]:
        assert_same(item, exp.loc[exp["g0"] == int(item["key"])].iloc[0], f"slice lag={item['key']}")


# ---------------------------------------------------------------------------------------------- /accuracy/lag-curve
@pytest.mark.parametrize("aligned", [False, True])
def test_lag_curve_from_the_cube_equals_spark(client, headers, recorded, sq, anchor, aligned) -> None:
    body = call(client, headers, recorded, "/accuracy/lag-curve",
                {"window": 12, "aligned": str(aligned).lower()}, PREAGG)
    where = window(anchor, 12)
    if aligned:  # DFU-months the model forecast at every lag there is
        where += (" AND (a.model_id, a.dfu_id, a.target_month) IN (SELECT model_id, dfu_id, target_month "
                  f"FROM {FACTS} WHERE scenario_id = 'backtest' GROUP BY model_id, dfu_id, target_month "
                  f"HAVING count(DISTINCT lag) = (SELECT count(DISTINCT lag) FROM {FACTS} "
                  "WHERE scenario_id = 'backtest'))")
    exp = expected(sq, where, ["a.model_id", "a.lag"])
    by_key = {(r.g0, int(r.g1)): r for r in exp.itertuples()}
    got = {(s["model_id"], p["lag"]): p for s in body["series"] for p in s["points"]}
    assert set(got) == set(by_key) and len(got) > 0
    for key, point in got.items():
        assert_same(point, pd.Series(by_key[key]._asdict()), f"lag curve aligned={aligned} {key}")


# ---------------------------------------------------------------------------------------------- /exceptions
RANK = {"error": "sum(a.abs_error) DESC", "bias": "abs(sum(a.fcst_qty) - sum(a.actual_qty)) DESC",
        "fva": "sum(r.abs_error - a.abs_error) ASC"}


@pytest.mark.parametrize(("rank_by", "lag", "n"), [("error", "execution", 12), ("bias", "all", 6),
                                                   ("fva", "execution", 12), ("error", "4", 1)])
def test_exceptions_from_topn_equal_spark(client, headers, recorded, sq, anchor, rank_by, lag, n) -> None:
    body = call(client, headers, recorded, "/exceptions", {"window": n, "rank_by": rank_by, "lag": lag, "n": 15,
                                                           "offset": 2}, TOPN)
    having = "HAVING count(r.abs_error) > 0" if rank_by == "fva" else ""
    ranked = sq(
        f"SELECT a.dfu_id, {KPIS}, sum(r.abs_error - a.abs_error) AS fva_units, "
        "sum(CASE WHEN r.abs_error IS NOT NULL THEN a.abs_error END) AS m_ae, sum(r.abs_error) AS r_ae, "
        "sum(CASE WHEN r.abs_error IS NOT NULL THEN abs(a.actual_qty) END) AS shared_a, "
        f"row_number() OVER (ORDER BY {RANK[rank_by]}, a.dfu_id) AS rank "
        "FROM gold.fact_forecast_accuracy a JOIN gold.dim_dfu d ON d.dfu_id = a.dfu_id "
        "LEFT JOIN gold.fact_forecast_accuracy r ON r.scenario_id = 'backtest' AND r.model_id = 'seasonal_naive' "
        "AND r.dfu_id = a.dfu_id AND r.fcst_origin = a.fcst_origin AND r.target_month = a.target_month "
        f"WHERE a.scenario_id = 'backtest' AND a.model_id = 'champion' AND {lag_sql(lag)} AND {window(anchor, n)} "
        f"GROUP BY a.dfu_id {having}").sort_values("rank")
    assert body["total"] == len(ranked) > 0 and body["fva_vs"] == "seasonal_naive"
    page = ranked.iloc[2:17]
    assert [i["dfu_id"] for i in body["items"]] == list(page["dfu_id"])
    assert [i["rank"] for i in body["items"]] == list(page["rank"])
    for item, (_, exp) in zip(body["items"], page.iterrows(), strict=True):
        assert_same(item, exp, f"exceptions {rank_by} {item['dfu_id']}")
        if pd.isna(exp["fva_units"]):
            assert item["fva_units"] is None and item["fva_pts"] is None
        else:
            assert item["fva_units"] == pytest.approx(exp["fva_units"], rel=1e-9, abs=1e-9)
            acc = [None if a == 0 else max(0.0, 100 * (1 - e / a)) for e, a in
                   ((exp["m_ae"], exp["shared_a"]), (exp["r_ae"], exp["shared_a"]))]
            fva = None if None in acc else acc[0] - acc[1]  # type: ignore[operator]
            assert item["fva_pts"] == (None if fva is None else pytest.approx(fva, rel=1e-9, abs=1e-9))


def test_exceptions_with_a_filter_read_the_facts(client, headers, recorded, sq, anchor) -> None:
    category = one_value(sq, "category")
    body = call(client, headers, recorded, "/exceptions", {"window": 12, "category": category, "n": 5}, FACTS)
    ranked = sq(f"SELECT a.dfu_id, sum(a.abs_error) AS ae {ROWS} AND a.model_id = 'champion' AND "
                f"{lag_sql('execution')} AND {window(anchor, 12)} AND d.category = '{category}' "
                "GROUP BY a.dfu_id ORDER BY ae DESC, a.dfu_id")
    assert [i["dfu_id"] for i in body["items"]] == list(ranked["dfu_id"][:5]) and body["total"] == len(ranked)


# ---------------------------------------------------------------------------------------------- the tables
def test_cube_sums_every_fact_row_and_is_published_with_the_facts(sq) -> None:
    cube = sq(f"SELECT sum(n_rows) AS n, sum(abs_error) AS e, count(DISTINCT run_id) AS runs FROM {CUBE}")
    facts = sq(f"SELECT count(*) AS n, sum(a.abs_error) AS e {ROWS}")
    assert int(cube["n"][0]) == int(facts["n"][0]) > 0 and int(cube["runs"][0]) == 1
    assert cube["e"][0] == pytest.approx(facts["e"][0], rel=1e-12)
    manifest = sq("SELECT table_name, seq, job, run_id FROM ops.published_runs")
    latest = manifest.sort_values("seq").groupby("table_name").tail(1).set_index("table_name")
    # the pre-aggregates are served from the same run manifest as the facts they sum
    rollup = sq(f"SELECT sum(n_rows) AS n, sum(abs_error) AS e FROM {ROLLUP}")
    assert int(rollup["n"][0]) == int(facts["n"][0]) and rollup["e"][0] == pytest.approx(facts["e"][0], rel=1e-12)
    for table in (CUBE, ROLLUP, TOPN):
        assert latest.loc[table, "seq"] == latest.loc[FACTS, "seq"], latest
