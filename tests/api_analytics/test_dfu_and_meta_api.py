"""DFU drilldown, metadata dimensions and typeahead: values equal the Spark tables; overrides from Postgres."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lakecast.lag import add_months

pytestmark = [pytest.mark.integration, pytest.mark.spark]

Headers = dict[str, dict[str, str]]


def get(client: TestClient, headers: Headers, path: str, params: Any = None) -> Any:
    r = client.get(path, params=params, headers=headers["viewer"])
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def dfu(sq, forecast_ready: None) -> dict[str, Any]:
    """A DFU with many months of sales (the highest 12-month volume)."""
    return sq("SELECT * FROM gold.dim_dfu ORDER BY qty_12m DESC, dfu_id LIMIT 1").iloc[0].to_dict()


def _dates(series: pd.Series) -> list[str]:
    return [d.isoformat() for d in pd.to_datetime(series).dt.date]


# ---------------------------------------------------------------------------------------------- /dfus/{id}
def test_drilldown_equals_spark(client, headers, sq, dfu) -> None:
    dfu_id = dfu["dfu_id"]
    last = sq("SELECT max(month_start) AS m FROM gold.fact_sales_monthly")["m"].iloc[0]
    start = add_months(last, -5)
    body = get(client, headers, f"/dfus/{dfu_id}", {"window": 6})
    assert body["dfu"]["dfu_id"] == dfu_id and body["dfu"]["execution_lag"] == dfu["execution_lag"]
    assert body["lag"] == str(dfu["execution_lag"])
    assert body["window"] == {"from_month": start.isoformat(), "to_month": None, "months": None,
                              "anchor_month": last.isoformat()}

    actuals = sq(f"SELECT month_start, qty FROM gold.fact_sales_monthly WHERE dfu_id = '{dfu_id}' "
                 f"AND month_start >= DATE'{start}' ORDER BY month_start")
    assert [(p["month"], p["qty"]) for p in body["actuals"]] == list(zip(_dates(actuals["month_start"]),
                                                                       actuals["qty"], strict=True))

    lag = int(dfu["execution_lag"])
    back = sq(f"SELECT model_id, target_month, fcst_origin, fcst_qty FROM gold.fact_forecast "
              f"WHERE scenario_id = 'backtest' AND dfu_id = '{dfu_id}' AND lag = {lag} "
              f"AND target_month >= DATE'{start}' ORDER BY model_id, target_month")
    got = {(s["model_id"], p["target_month"], p["fcst_origin"], p["fcst_qty"])
           for s in body["backtest"] for p in s["points"]}
    assert all(p["lag"] == lag for s in body["backtest"] for p in s["points"])
    assert got == set(zip(back["model_id"], _dates(back["target_month"]), _dates(back["fcst_origin"]),
                          back["fcst_qty"], strict=True))

    base = sq(f"SELECT model_id, target_month, fcst_qty, source_model_id FROM gold.fact_forecast "
              f"WHERE scenario_id = 'baseline' AND dfu_id = '{dfu_id}'")
    got_base = {(s["model_id"], p["target_month"], p["fcst_qty"]) for s in body["baseline"] for p in s["points"]}
    assert got_base == set(zip(base["model_id"], _dates(base["target_month"]), base["fcst_qty"], strict=True))
    assert max(p["target_month"] for s in body["baseline"] for p in s["points"]) > last.isoformat()

    ext = sq(f"SELECT target_month, fcst_qty FROM gold.fact_external_forecast_monthly WHERE dfu_id = '{dfu_id}' "
             f"AND lag = {lag} AND target_month >= DATE'{start}' ORDER BY target_month")
    assert [(p["target_month"], p["fcst_qty"]) for p in (body["external"] or {"points": []})["points"]] == list(
        zip(_dates(ext["target_month"]), ext["fcst_qty"], strict=True))

    champ = sq(f"SELECT champion_model_id, holdout_wape FROM gold.champion_selection WHERE dfu_id = '{dfu_id}'")
    assert body["champion"]["champion_model_id"] == champ["champion_model_id"].iloc[0]
    champion_series = next(s for s in body["baseline"] if s["model_id"] == "champion")
    assert {p["source_model_id"] for p in champion_series["points"]} == {champ["champion_model_id"].iloc[0]}
    # no approved override on this DFU: the served final (folded at read time) is the champion, month by month
    assert [(p["target_month"], p["fcst_qty"], p["override_id"]) for p in body["final"]["points"]] == [
        (p["target_month"], p["fcst_qty"], None) for p in champion_series["points"]]


INTERVALS = ("fcst_lo_80", "fcst_hi_80", "fcst_lo_95", "fcst_hi_95")


def test_drilldown_carries_the_prediction_intervals(client, headers, sq, dfu) -> None:
    dfu_id, lag = dfu["dfu_id"], int(dfu["execution_lag"])
    body = get(client, headers, f"/dfus/{dfu_id}", {"window": 12})
    start = body["window"]["from_month"]
    rows = sq(f"SELECT scenario_id, model_id, target_month, {', '.join(INTERVALS)} FROM gold.fact_forecast "
              f"WHERE dfu_id = '{dfu_id}' AND scenario_id IN ('backtest', 'baseline') AND target_month >= "
              f"DATE'{start}' AND (scenario_id = 'baseline' OR lag = {lag})")
    assert rows["fcst_lo_80"].notna().any(), "the forecast job wrote no intervals for this DFU"
    want = {(r["scenario_id"], r["model_id"], pd.Timestamp(r["target_month"]).date().isoformat()):
            tuple(None if pd.isna(r[c]) else r[c] for c in INTERVALS) for r in rows.to_dict("records")}
    got = {(scenario, s["model_id"], p["target_month"]): tuple(p[c] for c in INTERVALS)
           for scenario in ("backtest", "baseline") for s in body[scenario] for p in s["points"]}
    assert got == want
    champion = next(s for s in body["baseline"] if s["model_id"] == "champion")
    for p in champion["points"]:  # nested: the 95% interval holds the 80% one
        assert p["fcst_lo_95"] <= p["fcst_lo_80"] <= p["fcst_hi_80"] <= p["fcst_hi_95"], p
    assert all(p["fcst_lo_80"] is None for p in (body["external"] or {"points": []})["points"])


def test_drilldown_range_lag_all_and_overrides(client, headers, sq, dfu) -> None:
    dfu_id = dfu["dfu_id"]
    body = {"item_id": dfu["item_id"], "location_id": dfu["location_id"], "start_month": "2030-01",
            "end_month": "2030-02", "pct_change": 12.5, "reason_code": "promo", "reason_text": "drilldown test"}
    planner = client.post("/auth/token", data={"username": "planner", "password": "lakecast"}).json()
    r = client.post("/overrides", json=body, headers={"Authorization": f"Bearer {planner['access_token']}"})
    assert r.status_code == 201, r.text
    created = r.json()

    first = sq(f"SELECT min(target_month) AS m FROM gold.fact_forecast WHERE dfu_id = '{dfu_id}' "
               "AND scenario_id = 'backtest'")["m"].iloc[0]
    start, end = first, add_months(first, 2)
    out = get(client, headers, f"/dfus/{dfu_id}", {"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}", "lag": "all"})
    assert out["lag"] == "all" and out["window"]["to_month"] == end.isoformat()
    back = sq(f"SELECT count(*) AS n, count(DISTINCT lag) AS lags FROM gold.fact_forecast WHERE dfu_id = '{dfu_id}' "
              f"AND scenario_id = 'backtest' AND target_month BETWEEN DATE'{start}' AND DATE'{end}'")
    assert sum(len(s["points"]) for s in out["backtest"]) == int(back["n"].iloc[0])
    assert len({p["lag"] for s in out["backtest"] for p in s["points"]}) == int(back["lags"].iloc[0])
    assert all(start.isoformat() <= p["month"] <= end.isoformat() for p in out["actuals"])
    assert out["baseline"] == []  # forward months are outside the range
    assert [o["id"] for o in out["overrides"]] == [created["id"]]
    assert out["overrides"][0]["pct_change"] == 12.5 and out["overrides"][0]["status"] == "draft"


def test_drilldown_errors(client, headers, dfu) -> None:
    r = client.get("/dfus/NOPE%7CL0001", params={"window": 3}, headers=headers["viewer"])
    assert r.status_code == 404 and "DFU 'NOPE|L0001' not found" in r.json()["detail"]
    r = client.get(f"/dfus/{dfu['dfu_id']}", headers=headers["viewer"])
    assert r.status_code == 422 and "a time window is required" in r.json()["detail"]
    r = client.get(f"/dfus/{dfu['dfu_id']}", params={"window": 3, "lag": "x"}, headers=headers["viewer"])
    assert r.status_code == 422 and "query.lag: Input should be '0'" in r.json()["detail"]


# ---------------------------------------------------------------------------------------------- /meta
def test_dimensions_equal_spark(client, headers, sq, acc_rows) -> None:
    body = get(client, headers, "/meta/dimensions", {"max_values": 1000})
    dims = {d["name"]: d for d in body["dimensions"]}
    assert list(dims) == ["category", "brand", "supplier", "region", "location", "customer", "cluster", "abc_class",
                          "xyz_class", "model_id", "lag", "timeframe"]
    for name, column in (("category", "category"), ("region", "region"), ("abc_class", "abc_class"),
                         ("location", "location_id")):
        counts = sq(f"SELECT {column} AS v, count(*) AS n FROM gold.dim_dfu WHERE {column} IS NOT NULL GROUP BY 1")
        expected = sorted(zip(counts["v"], counts["n"], strict=True), key=lambda t: (-t[1], t[0]))
        assert [(v["value"], v["n_dfus"]) for v in dims[name]["values"]] == expected
        assert dims[name]["n_values"] == len(expected) and not dims[name]["truncated"]
    clusters = sq("SELECT cluster_id, cluster_label, count(*) AS n FROM gold.dim_dfu GROUP BY 1, 2 ORDER BY 1")
    assert [(v["value"], v["label"], v["n_dfus"]) for v in dims["cluster"]["values"]] == [
        (str(c), lab, n) for c, lab, n in zip(clusters["cluster_id"], clusters["cluster_label"], clusters["n"],
                                              strict=True)]
    assert [v["value"] for v in dims["model_id"]["values"]] == sorted(acc_rows["model_id"].unique())
    assert [v["value"] for v in dims["timeframe"]["values"]] == sorted(acc_rows["timeframe"].unique())
    assert [v["value"] for v in dims["lag"]["values"]] == [str(k) for k in sorted(acc_rows["lag"].unique())]
    cust = sq("SELECT count(DISTINCT customer_id) AS n FROM gold.agg_loc_customer_week")
    assert dims["customer"]["n_values"] == int(cust["n"].iloc[0])

    small = get(client, headers, "/meta/dimensions", {"max_values": 2})
    brand = next(d for d in small["dimensions"] if d["name"] == "brand")
    assert len(brand["values"]) == 2 and brand["truncated"] == (brand["n_values"] > 2)


@pytest.mark.parametrize("kind", ["item", "location", "customer"])
def test_search_prefix_first_then_substring(client, headers, sq, kind) -> None:
    table, id_col, name_col = {"item": ("dim_item", "item_id", "item_name"),
                               "location": ("dim_location", "location_id", "location_name"),
                               "customer": ("dim_customer", "customer_id", "customer_name")}[kind]
    rows = sq(f"SELECT {id_col} AS id, {name_col} AS name FROM gold.{table} WHERE is_current")
    # a needle found at the start of some names and inside others
    word = rows["name"].str.lower().str.split().str[-1].value_counts().index[0][:3]
    body = get(client, headers, "/meta/search", {"q": word.upper(), "kind": kind, "limit": 50})
    match = rows.loc[rows["id"].str.lower().str.contains(word, regex=False)
                     | rows["name"].str.lower().str.contains(word, regex=False)]
    prefix = match["id"].str.lower().str.startswith(word) | match["name"].str.lower().str.startswith(word)
    expected = list(match.assign(p=~prefix).sort_values(["p", "id"])["id"])[:50]
    assert [h["id"] for h in body["items"]] == expected and len(expected) > 0
    assert all(h["kind"] == kind for h in body["items"])
    limited = get(client, headers, "/meta/search", {"q": word, "kind": kind, "limit": 1})
    assert [h["id"] for h in limited["items"]] == expected[:1]


def test_search_validation(client, headers) -> None:
    for params, message in (({"q": "", "kind": "item"}, "q"), ({"q": "a", "kind": "dfu"}, "kind"),
                            ({"q": "a", "limit": 51}, "limit")):
        r = client.get("/meta/search", params=params, headers=headers["viewer"])
        assert r.status_code == 422 and message in r.json()["detail"], r.text
    r = client.get("/meta/search", params={"q": "zz-no-such-thing"}, headers=headers["viewer"])
    assert r.status_code == 200 and r.json()["items"] == []


def test_item_search_counts_dfus(client, headers, sq, dfu) -> None:
    body = get(client, headers, "/meta/search", {"q": dfu["item_id"], "kind": "item"})
    n = sq(f"SELECT count(*) AS n FROM gold.dim_dfu WHERE item_id = '{dfu['item_id']}'")["n"].iloc[0]
    assert body["items"][0]["id"] == dfu["item_id"] and body["items"][0]["n_dfus"] == int(n)
