"""KPIs, trends, slices, lag curve and exceptions served by DuckDB equal what Spark computes on the same Iceberg
tables (every metric within 1e-9 relative); required windows, 4xx messages, stable pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lakecast.forecast import metrics as M
from lakecast.lag import add_months
from tests.api_analytics.conftest import assert_metrics, at_lag, expected_metrics, in_window

pytestmark = [pytest.mark.integration, pytest.mark.spark]

Headers = dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def anchor(acc_rows: pd.DataFrame) -> dt.date:
    return acc_rows["target_month"].max()


def get(client: TestClient, headers: Headers, path: str, params: Any = None, who: str = "viewer") -> Any:
    r = client.get(path, params=params, headers=headers[who])
    assert r.status_code == 200, r.text
    return r.json()


def months(anchor: dt.date, n: int) -> tuple[dt.date, dt.date]:
    return add_months(anchor, -(n - 1)), anchor


# ---------------------------------------------------------------------------------------------- /kpis
@pytest.mark.parametrize(
    ("params", "model", "lag"),
    [
        ({"window": 6}, "champion", "execution"),
        ({"window": 12, "model_id": "theta", "lag": "0"}, "theta", "0"),
        ({"window": 3, "model_id": "external", "lag": "all"}, "external", "all"),
        ({"window": 12, "model_id": "seasonal_naive", "lag": "2"}, "seasonal_naive", "2"),
    ],
)
def test_kpis_equal_spark(client, headers, acc_rows, anchor, params, model, lag) -> None:
    body = get(client, headers, "/kpis", params)
    start, end = months(anchor, params["window"])
    rows = in_window(at_lag(acc_rows.loc[acc_rows["model_id"] == model], lag), start, end)
    assert len(rows) > 0
    assert_metrics(body, expected_metrics(rows), f"/kpis {params}")
    assert body["model_id"] == model and body["lag"] == lag
    assert body["window"] == {"from_month": start.isoformat(), "to_month": end.isoformat(),
                              "months": params["window"], "anchor_month": anchor.isoformat()}


def test_kpis_with_filters_range_and_timeframe(client, headers, acc_rows, anchor) -> None:
    start, end = add_months(anchor, -9), add_months(anchor, -2)
    theta = at_lag(acc_rows.loc[acc_rows["model_id"] == "theta"], "execution")
    category = theta["category"].value_counts().index[0]
    params = {"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}", "model_id": "theta", "category": category}
    body = get(client, headers, "/kpis", params)
    assert_metrics(body, expected_metrics(in_window(theta.loc[theta["category"] == category], start, end)))
    assert body["filters"] == {"category": [category]}

    # two values of one dimension OR, two dimensions AND; cluster ids; timeframe subset
    regions = sorted(theta["region"].dropna().unique())[:2]
    sub = theta.loc[theta["region"].isin(regions) & (theta["abc_class"] == "A")]
    body = get(client, headers, "/kpis", [("window", 12), ("model_id", "theta"), ("region", regions[0]),
                                           ("region", regions[1]), ("abc_class", "A")])
    assert_metrics(body, expected_metrics(in_window(sub, *months(anchor, 12))))
    cluster = int(theta["cluster_id"].dropna().iloc[0])
    body = get(client, headers, "/kpis", {"window": 12, "model_id": "theta", "cluster": cluster,
                                          "timeframe": ["C", "D"]})
    sub = theta.loc[(theta["cluster_id"] == cluster) & theta["timeframe"].isin(["C", "D"])]
    assert_metrics(body, expected_metrics(in_window(sub, *months(anchor, 12))))


def test_kpis_customer_filter_maps_to_serving_locations(client, headers, acc_rows, anchor, sq) -> None:
    cust = sq("SELECT DISTINCT customer_id, location_id FROM gold.agg_loc_customer_week ORDER BY customer_id")
    assert len(cust) > 0, "tiny data has customer sales"
    customer = cust["customer_id"].iloc[0]
    locations = set(cust.loc[cust["customer_id"] == customer, "location_id"])
    rows = at_lag(acc_rows.loc[acc_rows["model_id"] == "lgbm_global"], "execution")
    body = get(client, headers, "/kpis", {"window": 12, "model_id": "lgbm_global", "customer": customer})
    assert_metrics(body, expected_metrics(in_window(rows.loc[rows["location_id"].isin(locations)],
                                                    *months(anchor, 12))))


def test_kpis_champion_matches_published_model_scores(client, headers, sq) -> None:
    """The champion at each DFU's execution lag over the holdout = gold.model_scores' champion row."""
    scores = sq("SELECT model_id, accuracy_pct, wape, bias, n_rows FROM gold.model_scores WHERE model_id = 'champion'")
    body = get(client, headers, "/kpis", {"window": 12})
    assert body["n_rows"] == int(scores["n_rows"].iloc[0])
    assert body["accuracy_pct"] == pytest.approx(float(scores["accuracy_pct"].iloc[0]), rel=1e-9)
    assert body["bias"] == pytest.approx(float(scores["bias"].iloc[0]), rel=1e-9)


# ---------------------------------------------------------------------------------------------- windows and 4xx
@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/kpis", {}, 422, "a time window is required"),
        ("/trends", {"lag": "0"}, 422, "a time window is required"),
        ("/accuracy/slice", {"by": "category"}, 422, "a time window is required"),
        ("/accuracy/lag-curve", {}, 422, "a time window is required"),
        ("/exceptions", {}, 422, "a time window is required"),
        ("/kpis", {"window": 13}, 422, "window"),
        ("/kpis", {"window": 0}, 422, "window"),
        ("/kpis", {"window": 3, "from": "2026-01", "to": "2026-03"}, 422, "either window or from/to"),
        ("/kpis", {"from": "2026-01"}, 422, "from and to go together"),
        ("/kpis", {"from": "2026-05", "to": "2026-01"}, 422, "is before from"),
        ("/kpis", {"from": "2020-01", "to": "2026-01"}, 422, "at most 60"),
        ("/kpis", {"from": "2026-13", "to": "2026-14"}, 422, "YYYY-MM"),
        ("/kpis", {"from": "0000-01", "to": "0000-02"}, 422, "YYYY-MM"),
        ("/kpis", {"from": "2026-1", "to": "2026-02"}, 422, "from"),
        ("/kpis", {"window": 3, "lag": "7"}, 422, "query.lag: Input should be '0', '1'"),
        ("/kpis", {"window": 3, "model_id": "nope"}, 422, "query.model_id: Input should be 'adida'"),
        # a registered model the session pipeline did not run: the service says which ones it has
        ("/kpis", {"window": 3, "model_id": "auto_arima"}, 422, "unknown model_id 'auto_arima'"),
        ("/kpis", {"window": 3, "timeframe": "Q"}, 422, "unknown timeframe 'Q'"),
        ("/kpis", {"window": 3, "cluster": "x"}, 422, "cluster"),
        ("/trends", {"window": 3, "model_id": ["theta", "nope"]}, 422, "query.model_id.1: Input should be"),
        ("/trends", {"window": 3, "model_id": ["theta", "auto_ces"]}, 422, "unknown model_id 'auto_ces'"),
        ("/accuracy/slice", {"window": 3, "by": "color"}, 422, "query.by: Input should be 'category'"),
        ("/accuracy/slice", {"window": 3, "by": "lag", "lag": "1"}, 422, "by=lag"),
        ("/accuracy/slice", {"window": 3, "by": "region", "sort": "size"}, 422, "query.sort: Input should be"),
        ("/accuracy/slice", {"window": 3, "by": "region", "order": "up"}, 422, "Input should be 'asc' or 'desc'"),
        ("/accuracy/slice", {"window": 3, "by": "region", "limit": 501}, 422, "limit"),
        ("/exceptions", {"window": 3, "rank_by": "size"}, 422, "query.rank_by: Input should be 'error'"),
        ("/exceptions", {"window": 3, "n": 0}, 422, "n"),
        ("/exceptions", {"window": 3, "model_id": "theta", "fva_vs": "theta"}, 422, "fva_vs must differ"),
    ],
)
def test_bad_parameters_are_4xx_with_a_message(client, headers, path, params, status, message) -> None:
    r = client.get(path, params=params, headers=headers["viewer"])
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]


def test_login_required(client, headers) -> None:
    r = client.get("/kpis", params={"window": 3}, headers=headers["anon"])
    assert r.status_code == 401 and "not authenticated" in r.json()["detail"]


# ---------------------------------------------------------------------------------------------- /trends
def test_trends_per_model_and_month_equal_spark(client, headers, acc_rows, anchor) -> None:
    body = get(client, headers, "/trends", {"window": 12, "lag": "1", "model_id": ["theta", "external", "champion"]})
    start, end = months(anchor, 12)
    rows = in_window(at_lag(acc_rows, "1"), start, end)
    assert [s["model_id"] for s in body["series"]] == ["theta", "external", "champion"]
    for series in body["series"]:
        sub = rows.loc[rows["model_id"] == series["model_id"]]
        expected_months = sorted(sub["target_month"].unique())
        assert [p["month"] for p in series["points"]] == [m.isoformat() for m in expected_months]
        for point in series["points"]:
            month = dt.date.fromisoformat(point["month"])
            assert_metrics(point, expected_metrics(sub.loc[sub["target_month"] == month]), series["model_id"])


def test_trends_default_every_model(client, headers, acc_rows) -> None:
    body = get(client, headers, "/trends", {"window": 2})
    assert sorted(s["model_id"] for s in body["series"]) == sorted(acc_rows["model_id"].unique())


# ---------------------------------------------------------------------------------------------- /accuracy/slice
NONE = "<none>"


def _slice_expected(rows: pd.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    """Expected metrics per key (a missing attribute is the key NONE)."""
    keys = rows[key].astype(object).where(rows[key].notna(), NONE)
    return {k: expected_metrics(g) for k, g in rows.groupby(keys)}


@pytest.mark.parametrize("by", ["category", "brand", "supplier", "region", "location", "item", "abc_class",
                                "xyz_class", "cluster", "dfu", "timeframe"])
def test_slice_equals_spark(client, headers, acc_rows, anchor, by) -> None:
    column = {"location": "location_id", "item": "item_id", "cluster": "cluster_id", "dfu": "dfu_id"}.get(by, by)
    body = get(client, headers, "/accuracy/slice", {"window": 12, "by": by, "model_id": "theta", "limit": 500})
    rows = in_window(at_lag(acc_rows.loc[acc_rows["model_id"] == "theta"], "execution"), *months(anchor, 12))
    expected = _slice_expected(rows, column)
    assert body["total"] == len(expected) == len(body["items"])
    for item in body["items"]:
        key: Any = NONE if item["key"] is None else item["key"]
        if by == "cluster" and key != NONE:
            key = int(key)
        assert_metrics(item, expected[key], f"{by}={key}")
    # default sort: actual volume descending, ties by key
    keys = [(-i["actual_qty"], i["key"] or "\uffff") for i in body["items"]]
    assert keys == sorted(keys)


def test_slice_by_model_lag_and_customer(client, headers, acc_rows, anchor, sq) -> None:
    start, end = months(anchor, 6)
    body = get(client, headers, "/accuracy/slice", {"window": 6, "by": "model", "lag": "0", "limit": 500})
    rows = in_window(at_lag(acc_rows, "0"), start, end)
    expected = _slice_expected(rows, "model_id")
    assert {i["key"] for i in body["items"]} == set(expected) and body["model_id"] is None
    for item in body["items"]:
        assert_metrics(item, expected[item["key"]], item["key"])

    body = get(client, headers, "/accuracy/slice", {"window": 12, "by": "lag", "model_id": "tsb", "sort": "key"})
    rows = in_window(acc_rows.loc[acc_rows["model_id"] == "tsb"], *months(anchor, 12))
    assert [i["key"] for i in body["items"]] == [str(k) for k in sorted(rows["lag"].unique())]
    for item in body["items"]:
        assert_metrics(item, expected_metrics(rows.loc[rows["lag"] == int(item["key"])]), f"lag {item['key']}")

    cust = sq("SELECT DISTINCT w.customer_id, w.location_id, c.customer_name FROM gold.agg_loc_customer_week w "
              "JOIN gold.dim_customer c ON c.customer_id = w.customer_id AND c.is_current")
    body = get(client, headers, "/accuracy/slice", {"window": 12, "by": "customer", "model_id": "theta",
                                                    "limit": 500})
    rows = in_window(at_lag(acc_rows.loc[acc_rows["model_id"] == "theta"], "execution"), *months(anchor, 12))
    assert body["total"] == cust["customer_id"].nunique()
    for item in body["items"]:
        mine = cust.loc[cust["customer_id"] == item["key"]]
        assert item["label"] == mine["customer_name"].iloc[0]
        assert_metrics(item, expected_metrics(rows.loc[rows["location_id"].isin(set(mine["location_id"]))]))


def test_slice_location_labels_and_sorts(client, headers, acc_rows, anchor, sq) -> None:
    names = sq("SELECT location_id, location_name FROM gold.dim_location WHERE is_current")
    body = get(client, headers, "/accuracy/slice", {"window": 12, "by": "location", "model_id": "theta",
                                                    "sort": "wape", "order": "asc"})
    label = dict(zip(names["location_id"], names["location_name"], strict=True))
    assert all(i["label"] == label[i["key"]] for i in body["items"])
    wapes = [i["wape"] for i in body["items"]]
    assert wapes == sorted(wapes)
    body = get(client, headers, "/accuracy/slice", {"window": 12, "by": "location", "model_id": "theta",
                                                    "sort": "abs_bias"})
    biases = [abs(i["bias"]) for i in body["items"]]
    assert biases == sorted(biases, reverse=True)


def test_slice_pagination_is_stable_and_complete(client, headers) -> None:
    params = {"window": 12, "by": "dfu", "model_id": "seasonal_naive", "sort": "abs_error"}
    full = get(client, headers, "/accuracy/slice", {**params, "limit": 500})
    assert full["total"] > 12
    pages, offset = [], 0
    while offset < full["total"]:
        page = get(client, headers, "/accuracy/slice", {**params, "limit": 7, "offset": offset})
        assert page["total"] == full["total"] and page["limit"] == 7 and page["offset"] == offset
        pages += page["items"]
        offset += 7
    assert [i["key"] for i in pages] == [i["key"] for i in full["items"]]
    assert len({i["key"] for i in pages}) == full["total"]
    again = get(client, headers, "/accuracy/slice", {**params, "limit": 7, "offset": 7})
    assert [i["key"] for i in again["items"]] == [i["key"] for i in full["items"][7:14]]
    past = get(client, headers, "/accuracy/slice", {**params, "limit": 7, "offset": 10_000})
    assert past["items"] == [] and past["total"] == full["total"]


# ---------------------------------------------------------------------------------------------- /accuracy/lag-curve
def test_lag_curve_equals_spark(client, headers, acc_rows, anchor) -> None:
    body = get(client, headers, "/accuracy/lag-curve", {"window": 12, "model_id": ["theta", "external"]})
    rows = in_window(acc_rows, *months(anchor, 12))
    for series in body["series"]:
        sub = rows.loc[rows["model_id"] == series["model_id"]]
        assert [p["lag"] for p in series["points"]] == sorted(sub["lag"].unique())
        for p in series["points"]:
            assert_metrics(p, expected_metrics(sub.loc[sub["lag"] == p["lag"]]), f"{series['model_id']} {p['lag']}")


def test_lag_curve_aligned_scores_every_lag_on_the_same_actuals(client, headers, acc_rows, anchor) -> None:
    body = get(client, headers, "/accuracy/lag-curve", {"window": 12, "model_id": "theta", "aligned": "true"})
    rows = in_window(acc_rows.loc[acc_rows["model_id"] == "theta"], *months(anchor, 12))
    n_lags = acc_rows["lag"].nunique()
    full = rows.groupby(["dfu_id", "target_month"])["lag"].transform("nunique") == n_lags
    aligned = rows.loc[full]
    points = body["series"][0]["points"]
    assert len(points) == n_lags and len({p["n_rows"] for p in points}) == 1
    assert len({p["actual_qty"] for p in points}) == 1  # same actuals at every lag
    for p in points:
        assert_metrics(p, expected_metrics(aligned.loc[aligned["lag"] == p["lag"]]), f"aligned lag {p['lag']}")


# ---------------------------------------------------------------------------------------------- /exceptions
def _fva_pts(g: pd.DataFrame) -> float | None:
    model, ref = M.accuracy_pct(g["actual_qty"], g["fcst_qty"]), M.accuracy_pct(g["actual_qty"], g["ref_fcst"])
    return None if model is None or ref is None else model - ref


def _per_dfu(rows: pd.DataFrame, ref_rows: pd.DataFrame) -> pd.DataFrame:
    keys = ["dfu_id", "fcst_origin", "target_month"]
    ref = ref_rows[[*keys, "fcst_qty", "actual_qty"]].rename(columns={"fcst_qty": "ref_fcst"})
    m = rows.merge(ref[[*keys, "ref_fcst"]], on=keys, how="left")
    m["ae"] = (m["fcst_qty"] - m["actual_qty"]).abs()
    m["ref_ae"] = (m["ref_fcst"] - m["actual_qty"]).abs()
    shared = m.loc[m["ref_fcst"].notna()]
    out = m.groupby("dfu_id").agg(ae=("ae", "sum"), f=("fcst_qty", "sum"), a=("actual_qty", "sum"))
    fva = shared.assign(d=shared["ref_ae"] - shared["ae"]).groupby("dfu_id").agg(fva_units=("d", "sum"))
    # FVA in accuracy points: Accuracy% of the model minus the reference's, on the rows both have
    fva["fva_pts"] = shared.groupby("dfu_id").apply(_fva_pts, include_groups=False)
    return out.join(fva, how="left").reset_index()


@pytest.mark.parametrize("rank_by", ["error", "bias", "fva"])
def test_exceptions_rank_and_values_equal_spark(client, headers, acc_rows, anchor, rank_by) -> None:
    start, end = months(anchor, 12)
    params = {"window": 12, "rank_by": rank_by, "model_id": "theta", "fva_vs": "external", "n": 5}
    body = get(client, headers, "/exceptions", params)
    theta = in_window(at_lag(acc_rows.loc[acc_rows["model_id"] == "theta"], "execution"), start, end)
    ext = in_window(at_lag(acc_rows.loc[acc_rows["model_id"] == "external"], "execution"), start, end)
    per = _per_dfu(theta, ext)
    if rank_by == "error":
        per = per.assign(s=-per["ae"])
    elif rank_by == "bias":
        per = per.assign(s=-(per["f"] - per["a"]).abs())
    else:
        per = per.loc[per["fva_units"].notna()].assign(s=lambda d: d["fva_units"])
    ranked = per.sort_values(["s", "dfu_id"]).reset_index(drop=True)
    assert body["total"] == len(ranked)
    assert [i["dfu_id"] for i in body["items"]] == list(ranked["dfu_id"][:5])
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]
    for item, (_, exp) in zip(body["items"], ranked.head(5).iterrows(), strict=True):
        assert_metrics(item, expected_metrics(theta.loc[theta["dfu_id"] == item["dfu_id"]]), item["dfu_id"])
        assert item["bias_units"] == pytest.approx(exp["f"] - exp["a"], rel=1e-9, abs=1e-9)
        if pd.isna(exp["fva_units"]):
            assert item["fva_units"] is None
        else:
            assert item["fva_units"] == pytest.approx(exp["fva_units"], rel=1e-9, abs=1e-9)
            assert (item["fva_pts"] is None if pd.isna(exp["fva_pts"])
                    else item["fva_pts"] == pytest.approx(exp["fva_pts"], rel=1e-9, abs=1e-9))
        mine = theta.loc[theta["dfu_id"] == item["dfu_id"]].sort_values("target_month")
        assert [(p["month"], p["actual_qty"], p["forecast_qty"]) for p in item["series"]] == [
            (m.isoformat(), pytest.approx(a), pytest.approx(f))
            for m, a, f in zip(mine["target_month"], mine["actual_qty"], mine["fcst_qty"], strict=True)]


def test_exceptions_pages_are_stable(client, headers) -> None:
    params = {"window": 12, "rank_by": "error", "model_id": "seasonal_naive"}
    full = get(client, headers, "/exceptions", {**params, "n": 200})
    paged = []
    for offset in range(0, full["total"], 9):
        page = get(client, headers, "/exceptions", {**params, "n": 9, "offset": offset})
        paged += [(i["rank"], i["dfu_id"]) for i in page["items"]]
    assert paged == [(i["rank"], i["dfu_id"]) for i in full["items"]]
    assert [r for r, _ in paged] == list(range(1, full["total"] + 1))
