"""Forecast versions, the waterfall and the value of overrides (issue 13 items 1, 2, 5) on a tiny lake of four
planning cycles.

Real components: the Spark ``final`` job with a real embedded Postgres and overrides approved through the governance
service, Iceberg tables, the serving engine (DuckDB) through the API. Each cycle lands its actuals, publishes a
baseline champion forecast (written to ``gold.fact_forecast`` by hand, then recorded through the forecast job's
publish-time hook ``spark_jobs.versions.record``) and runs the final job; cycle 2 reruns its forecast after the final
run, cycle 3 has no final run. Every expected number is computed here from what the test published, with its own
bookkeeping of which version stands (no call into lakecast.versions or lakecast.final).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyspark.sql import functions as F

from contracts.forecast import FORECAST_TABLES
from contracts.gold import GOLD_TABLES
from lakecast.appdb.db import connect
from lakecast.appdb.seed import seed_demo_users
from lakecast.runtime.spark import register_catalog
from lakecast.settings import PostgresSettings, Settings
from spark_jobs import final as fjob
from spark_jobs import io, publish, versions

pytestmark = [pytest.mark.spark, pytest.mark.integration]

FACT = FORECAST_TABLES["fact_forecast"]
VERSIONS = FORECAST_TABLES["fact_forecast_version"]
WATERFALL = FORECAST_TABLES["forecast_waterfall"]
VALUE = FORECAST_TABLES["override_value"]
ORIGINS = [dt.date(2025, m, 1) for m in (1, 2, 3, 4)]  # planning cycles 2025-01 .. 2025-04
HORIZON = 6  # forward months per version (lags 0..5; the waterfall keeps 0..4)
DFUS = {"A|L1": 100.0, "B|L1": 40.0, "C|L2": 7.0}
CATEGORY = {"A": "snacks", "B": "drinks", "C": "snacks"}
#: actual units per DFU and month; C|L2 has no sales before 2025-04 (its actual is 0 up to the last month)
SALES = {("A|L1", dt.date(2025, m, 1)): 90.0 + 7 * m for m in range(1, 5)} | {
    ("B|L1", dt.date(2025, m, 1)): 60.0 + 3 * m for m in range(1, 5)} | {("C|L2", dt.date(2025, 4, 1)): 5.0}


def add_months(d: dt.date, n: int) -> dt.date:
    i = d.year * 12 + d.month - 1 + n
    return dt.date(i // 12, i % 12 + 1, 1)


def stat_qty(dfu: str, origin: dt.date, target: dt.date, rerun: bool) -> float:
    lag = (target.year - origin.year) * 12 + target.month - origin.month - 1
    return DFUS[dfu] + 10 * lag + origin.month + (0.5 if rerun else 0.0)


@dataclass
class Published:
    """What the test published, in order: version id, scenario, cycle, rows (dfu, target) -> (qty, stat, override)."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    anchor: dt.date | None = None

    def standing(self, scenario: str, cycle: str) -> dict[str, Any] | None:
        last = [v for v in self.versions if v["scenario"] == scenario and v["cycle"] == cycle]
        return last[-1] if last else None


# ---------------------------------------------------------------- the lake
def _write_dims(spark, s: Settings) -> None:
    far = dt.date(9999, 12, 31)
    items = [{"item_id": i, "item_name": f"Item {i}", "category": c, "valid_from": dt.date(2020, 1, 1),
              "valid_to": far, "is_current": True} for i, c in CATEGORY.items()]
    locs = [{"location_id": loc, "location_name": f"Store {loc}", "region": "north", "valid_from": dt.date(2020, 1, 1),
             "valid_to": far, "is_current": True} for loc in ("L1", "L2")]
    dfus = [{"dfu_id": d, "item_id": d.split("|")[0], "location_id": d.split("|")[1],
             "category": CATEGORY[d[0]], "region": "north", "abc_class": "A", "xyz_class": "X", "execution_lag": 1,
             "first_month": dt.date(2024, 1, 1), "last_month": dt.date(2025, 4, 1), "n_months": 16,
             "qty_12m": 100.0} for d in DFUS]
    for name, rows in (("dim_item", items), ("dim_location", locs), ("dim_dfu", dfus)):
        spec = GOLD_TABLES[name]
        full = [{c: r.get(c) for c in spec.column_names()} for r in rows]
        io.overwrite(spark, s, spec, spark.createDataFrame(full, io.spark_schema(spec)))


def _write_sales(spark, s: Settings, through: dt.date) -> None:
    spec = GOLD_TABLES["fact_sales_monthly"]
    rows = [{"dfu_id": d, "item_id": d.split("|")[0], "location_id": d.split("|")[1], "month_start": m, "qty": q,
             "revenue": q, "n_lines": 1, "promo_qty": 0.0, "avg_price": 1.0}
            for (d, m), q in SALES.items() if m <= through]
    io.overwrite(spark, s, spec, spark.createDataFrame(rows, io.spark_schema(spec)))


def _publish_baseline(spark, s: Settings, pub: Published, origin: dt.date, run_id: str, rerun: bool) -> None:
    """Write a baseline champion forecast as the forecast job would, then its publish-time hook and publish."""
    common = {"scenario_id": "baseline", "model_id": "champion", "algorithm_id": "selection", "model_version": "t+0",
              "run_id": run_id, "planning_grain": "dfu_month", "timeframe": "forward", "fcst_origin": origin,
              "cluster_id": 1, "source_model_id": "theta", "override_id": None}
    rows, content = [], {}
    for dfu in DFUS:
        item, loc = dfu.split("|")
        for lag in range(HORIZON):
            target = add_months(origin, lag + 1)
            q = stat_qty(dfu, origin, target, rerun)
            rows.append({**common, "dfu_id": dfu, "item_id": item, "location_id": loc, "target_month": target,
                         "lag": lag, "fcst_qty": q})
            content[(dfu, target)] = (q, q, None)
    df = spark.createDataFrame([{c: r.get(c) for c in FACT.column_names()} for r in rows], io.spark_schema(FACT))
    io.overwrite(spark, s, FACT, df, where=F.col("scenario_id") == "baseline")
    versions.record(spark, s, "baseline", run_id)
    publish.publish(spark, s, "forecast", run_id)
    pub.versions.append({"id": run_id, "scenario": "baseline", "cycle": f"{origin:%Y-%m}", "origin": origin,
                         "rows": content})


def _approve(url: str, dfu_id: str, start: dt.date, end: dt.date, *, planner: str = "planner",
             reason: str = "promo", new_qty: float | None = None, pct: float | None = None) -> str:
    from api.services import overrides as svc
    from contracts.app import ApprovalDecision, OverrideCreate, UserPublic

    who = UserPublic(username=planner, display_name=planner, role="planner")
    approver = UserPublic(username="approver", display_name="A", role="approver")
    item, loc = dfu_id.split("|")
    with connect(url) as conn:
        ov = svc.create_override(conn, who, OverrideCreate(
            item_id=item, location_id=loc, start_month=start, end_month=end, new_qty=new_qty, pct_change=pct,
            reason_code=reason, reason_text="versions test"))
        ov = svc.submit_override(conn, who, ov.id, ov.version)
        svc.decide_override(conn, approver, ov.id, "approved", ApprovalDecision(version=ov.version, note="ok"))
    return str(ov.id)


def _run_final(spark, s: Settings, pub: Published) -> str:
    result = fjob.run(spark, s)
    assert result.published
    base = pub.standing("baseline", pub.versions[-1]["cycle"]) if pub.versions else None
    assert base is not None and base["scenario"] == "baseline"
    content = {}
    for (dfu, target), (stat, _, _) in base["rows"].items():
        qty, won = stat, None
        for oid, o in pub.overrides.items():  # decided in insertion order: the later one wins
            if o["dfu_id"] == dfu and o["start"] <= target <= o["end"]:
                qty, won = (o["new_qty"] if o["new_qty"] is not None else stat * (1 + o["pct"] / 100)), oid
        content[(dfu, target)] = (qty, stat, won)
    pub.versions.append({"id": result.run_id, "scenario": "final", "cycle": base["cycle"], "origin": base["origin"],
                         "rows": content, "base": base["id"]})
    return result.run_id


@pytest.fixture(scope="module")
def lake(spark, isolated_settings, analytics_pg) -> Iterator[tuple[Settings, Published]]:
    """Four planning cycles of baseline and final versions, with overrides approved along the way."""
    _, url = analytics_pg
    seed_demo_users(url)
    s = isolated_settings("versions_lake").model_copy(
        update={"postgres": PostgresSettings(mode="external", url=url)})
    # the catalog must be registered on the session: unregistered, `versions_lake.gold.x` is a namespace of the
    # session's catalog and the tables land in the pipeline's warehouse, where the API (reading s.warehouse) misses them
    register_catalog(spark, s)
    pub = Published()
    _write_dims(spark, s)

    def approve(dfu: str, start: dt.date, end: dt.date, **kw: Any) -> None:
        oid = _approve(url, dfu, start, end, **kw)
        pub.overrides[oid] = {"dfu_id": dfu, "start": start, "end": end, "new_qty": kw.get("new_qty"),
                              "pct": kw.get("pct"), "planner": kw.get("planner", "planner"),
                              "reason": kw.get("reason", "promo")}

    for k, origin in enumerate(ORIGINS, start=1):
        _write_sales(spark, s, origin)
        pub.anchor = origin
        _publish_baseline(spark, s, pub, origin, f"forecast-c{k}", rerun=False)
        if k == 1:
            approve("A|L1", dt.date(2025, 3, 1), dt.date(2025, 3, 1), new_qty=500.0)
        if k == 2:
            approve("B|L1", dt.date(2025, 4, 1), dt.date(2025, 5, 1), pct=50.0, planner="planner2",
                    reason="market_intel")
        if k != 3:  # cycle 3: no final run
            _run_final(spark, s, pub)
        if k == 2:  # the forecast reruns after the final run: this baseline stands for cycle 2
            _publish_baseline(spark, s, pub, origin, "forecast-c2b", rerun=True)
    yield s, pub


# ---------------------------------------------------------------- expected values (independent bookkeeping)
def actual_of(pub: Published, dfu: str, month: dt.date) -> float | None:
    if (dfu, month) in SALES and pub.anchor is not None and month <= pub.anchor:
        return SALES[(dfu, month)]
    return 0.0 if pub.anchor is not None and month <= pub.anchor else None


def expected_waterfall(pub: Published) -> dict[tuple[str, dt.date, int], dict[str, Any]]:
    out: dict[tuple[str, dt.date, int], dict[str, Any]] = {}
    cycles = sorted({v["cycle"] for v in pub.versions})
    for cycle in cycles:
        base, fin = pub.standing("baseline", cycle), pub.standing("final", cycle)
        for version, scenario in ((base, "baseline"), (fin, "final")):
            if version is None:
                continue
            for (dfu, target), (qty, _, oid) in version["rows"].items():
                lag = (target.year - version["origin"].year) * 12 + target.month - version["origin"].month - 1
                if lag > 4:
                    continue
                cell = out.setdefault((dfu, target, lag), {
                    "planning_cycle": cycle, "baseline_qty": None, "final_qty": None, "override_id": None,
                    "baseline_version_id": None, "final_version_id": None,
                    "actual_qty": actual_of(pub, dfu, target)})
                cell[f"{scenario}_qty"] = qty
                cell[f"{scenario}_version_id"] = version["id"]
                if scenario == "final":
                    cell["override_id"] = oid
    return out


# ---------------------------------------------------------------- job level
def test_every_published_forecast_is_kept_as_a_version(spark, lake):
    s, pub = lake
    rows = io.read(spark, s, VERSIONS).collect()
    got: dict[str, dict[tuple[str, dt.date], tuple[float, float, str | None]]] = {}
    meta: dict[str, tuple[str, str, dt.date, str | None]] = {}
    for r in rows:
        got.setdefault(r["version_id"], {})[(r["dfu_id"], r["target_month"])] = (
            r["fcst_qty"], r["stat_qty"], r["override_id"])
        meta[r["version_id"]] = (r["scenario_id"], r["planning_cycle"], r["fcst_origin"], r["base_version_id"])
        assert r["lag"] == (r["target_month"].year - r["fcst_origin"].year) * 12 + r["target_month"].month \
            - r["fcst_origin"].month - 1
    assert sorted(got) == sorted(v["id"] for v in pub.versions)  # 4 + 1 baseline, 3 final: 8 versions
    assert len(got) == 8
    for v in pub.versions:
        assert meta[v["id"]][:3] == (v["scenario"], v["cycle"], v["origin"])
        assert meta[v["id"]][3] == v.get("base")  # a final names the baseline it was folded from
        assert got[v["id"]].keys() == v["rows"].keys()
        for key, (qty, stat, oid) in v["rows"].items():
            assert got[v["id"]][key][0] == pytest.approx(qty), (v["id"], key)
            assert got[v["id"]][key][1] == pytest.approx(stat), (v["id"], key)
            assert got[v["id"]][key][2] == oid, (v["id"], key)
    # the versions, waterfall and override value are in the last publish's manifest (the served snapshots)
    manifest = publish.published(spark, s)
    for spec in (VERSIONS, WATERFALL, VALUE):
        assert manifest[spec.fqn].snapshot_id == io.snapshot_id(spark, s, spec)


def test_waterfall_cells_are_the_standing_versions_of_each_lags_cycle(spark, lake):
    s, pub = lake
    want = expected_waterfall(pub)
    got = {(r["dfu_id"], r["target_month"], r["lag"]): r.asDict() for r in io.read(spark, s, WATERFALL).collect()}
    assert got.keys() == want.keys()
    for key, cell in want.items():
        row = got[key]
        for col in ("planning_cycle", "baseline_version_id", "final_version_id", "override_id"):
            assert row[col] == cell[col], (key, col)
        for col in ("baseline_qty", "final_qty", "actual_qty"):
            assert (row[col] is None) == (cell[col] is None), (key, col, row[col])
            if cell[col] is not None:
                assert row[col] == pytest.approx(cell[col]), (key, col)
        for scen in ("baseline", "final"):
            if cell[f"{scen}_qty"] is None or cell["actual_qty"] is None:
                assert row[f"{scen}_abs_error"] is None
            else:
                assert row[f"{scen}_abs_error"] == pytest.approx(abs(cell[f"{scen}_qty"] - cell["actual_qty"]))
    # spot checks written out by hand: A|L1 2025-03 at lag 1 (cycle 2025-01) and lag 0 (cycle 2025-02)
    a_mar_1 = got[("A|L1", dt.date(2025, 3, 1), 1)]
    assert (a_mar_1["baseline_qty"], a_mar_1["final_qty"], a_mar_1["actual_qty"]) == (111.0, 500.0, 111.0)
    a_mar_0 = got[("A|L1", dt.date(2025, 3, 1), 0)]  # cycle 2: the rerun baseline stands; the final kept 500
    assert (a_mar_0["baseline_version_id"], a_mar_0["baseline_qty"], a_mar_0["final_qty"]) == (
        "forecast-c2b", 102.5, 500.0)
    c_mar = got[("C|L2", dt.date(2025, 3, 1), 0)]
    assert c_mar["actual_qty"] == 0.0  # no sales row, month <= the last month with actuals
    # cycle 3 had no final run: its cells have a baseline only
    assert all(r["final_qty"] is None and r["baseline_qty"] is not None for r in got.values()
               if r["planning_cycle"] == "2025-03")
    assert all(r["actual_qty"] is None for k, r in got.items() if k[1] > dt.date(2025, 4, 1))


def expected_value(pub: Published) -> dict[tuple[str, int], dict[str, float]]:
    out: dict[tuple[str, int], dict[str, float]] = {}
    for cycle in sorted({v["cycle"] for v in pub.versions}):
        fin = pub.standing("final", cycle)
        if fin is None:
            continue
        for (dfu, target), (qty, stat, oid) in fin["rows"].items():
            lag = (target.year - fin["origin"].year) * 12 + target.month - fin["origin"].month - 1
            actual = actual_of(pub, dfu, target)
            if oid is None or lag > 4 or actual is None:
                continue
            agg = out.setdefault((oid, lag), {"n": 0, "a": 0.0, "fe": 0.0, "se": 0.0})
            agg["n"] += 1
            agg["a"] += abs(actual)
            agg["fe"] += abs(qty - actual)
            agg["se"] += abs(stat - actual)
    return out


def accuracy(abs_err: float, abs_actual: float) -> float:
    return max(0.0, 100.0 * (1.0 - abs_err / abs_actual))


def test_override_value_compares_final_with_the_statistical_forecast_it_was_folded_from(spark, lake):
    s, pub = lake
    want = expected_value(pub)
    got = {(r["override_id"], r["lag"]): r.asDict() for r in io.read(spark, s, VALUE).collect()}
    assert got.keys() == want.keys()
    assert len(got) >= 2
    for key, w in want.items():
        row = got[key]
        assert row["n_rows"] == w["n"]
        assert row["abs_actual"] == pytest.approx(w["a"])
        assert row["final_abs_error"] == pytest.approx(w["fe"])
        assert row["baseline_abs_error"] == pytest.approx(w["se"])
        assert row["fva"] == pytest.approx(accuracy(w["fe"], w["a"]) - accuracy(w["se"], w["a"]))
    # the 500-unit override on A|L1 2025-03 (actual 111) at lag 1: stat 111 (exact), final 500 -> FVA -100 points
    ov_a = next(o for o, v in pub.overrides.items() if v["dfu_id"] == "A|L1")
    assert got[(ov_a, 1)]["fva"] == pytest.approx(accuracy(389.0, 111.0) - accuracy(0.0, 111.0))


def test_the_forecast_job_publishes_its_baseline_champion_as_a_version(spark, pipeline, forecast_ready):
    """On the session pipeline: the forecast run's hook kept exactly its baseline champion as one version."""
    s = pipeline.settings
    run_id = pipeline.results["forecast"].run_id
    champ = {(r["dfu_id"], r["target_month"]): r["fcst_qty"] for r in versions.baseline_champion(spark, s).collect()}
    rows = io.read(spark, s, VERSIONS).where(F.col("version_id") == run_id).collect()
    assert champ and len(rows) == len(champ)
    assert {(r["scenario_id"], r["planning_cycle"], r["model_id"]) for r in rows} == {
        ("baseline", f"{pipeline.results['forecast'].origins['forward'][:7]}", "champion")}
    assert {(r["dfu_id"], r["target_month"]): r["fcst_qty"] for r in rows} == champ
    assert all(r["stat_qty"] == r["fcst_qty"] and r["base_version_id"] is None for r in rows)
    manifest = publish.published(spark, s)
    for spec in (VERSIONS, WATERFALL, VALUE):  # tests that run the final job here roll the manifest back
        assert (manifest[spec.fqn].job, manifest[spec.fqn].run_id) == ("forecast", run_id)


# ---------------------------------------------------------------- the API on the same lake
@pytest.fixture(scope="module")
def api(lake) -> Iterator[tuple[Any, dict[str, str]]]:
    """A TestClient of the app serving the four-cycle lake (DuckDB engine), and a viewer's auth header."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    s, _ = lake
    with TestClient(create_app(s, seed_demo_users=True)) as c:
        r = c.post("/auth/token", data={"username": "viewer", "password": "lakecast"})
        assert r.status_code == 200, r.text
        yield c, {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ids_as_of(pub: Published, cycle: str) -> dict[str, str]:
    """scenario -> version id published as of ``cycle``, by the test's own bookkeeping."""
    out: dict[str, str] = {}
    for scen in ("baseline", "final"):
        cycles = sorted({v["cycle"] for v in pub.versions if v["scenario"] == scen and v["cycle"] <= cycle})
        if cycles:
            v = pub.standing(scen, cycles[-1])
            assert v is not None
            out[scen] = v["id"]
    return out


def test_versions_endpoint_lists_pages_and_answers_as_of(api, lake):
    c, h = api
    _, pub = lake
    newest_first = [v["id"] for v in reversed(pub.versions)]
    r = c.get("/forecast/versions", params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    page = r.json()
    assert [i["version_id"] for i in page["items"]] == newest_first
    assert page["total"] == 8 and page["cycles"] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert {a["scenario_id"]: a["version_id"] for a in page["as_of"]} == _ids_as_of(pub, "2025-04")
    by_id = {v["id"]: v for v in pub.versions}
    for item in page["items"]:
        v = by_id[item["version_id"]]
        assert (item["scenario_id"], item["planning_cycle"]) == (v["scenario"], v["cycle"])
        assert item["standing"] == (pub.standing(v["scenario"], v["cycle"])["id"] == v["id"])  # type: ignore[index]
        assert item["n_rows"] == len(v["rows"]) == len(DFUS) * HORIZON
        assert item["n_dfus"] == len(DFUS)
        assert item["n_overridden"] == sum(1 for (_, _, oid) in v["rows"].values() if oid is not None)
        assert item["base_version_id"] == v.get("base")
    assert [i["standing"] for i in page["items"]].count(False) == 1  # forecast-c2 was replaced by forecast-c2b

    # paging: a middle page, and a page past the end still reports the total
    mid = c.get("/forecast/versions", params={"limit": 3, "offset": 3}, headers=h).json()
    assert [i["version_id"] for i in mid["items"]] == newest_first[3:6] and mid["total"] == 8
    past = c.get("/forecast/versions", params={"limit": 3, "offset": 50}, headers=h).json()
    assert past["items"] == [] and past["total"] == 8

    # as of 2025-02: versions of cycles <= 2025-02 only; the rerun baseline stands
    feb = c.get("/forecast/versions", params={"as_of_cycle": "2025-02"}, headers=h).json()
    assert [i["version_id"] for i in feb["items"]] == [
        v["id"] for v in reversed(pub.versions) if v["cycle"] <= "2025-02"]
    assert feb["total"] == 5
    assert {a["scenario_id"]: a["version_id"] for a in feb["as_of"]} == _ids_as_of(pub, "2025-02")
    assert _ids_as_of(pub, "2025-02")["baseline"] == "forecast-c2b"
    # as of 2025-03: that cycle ran no final job, so the final published then is cycle 2025-02's
    mar = c.get("/forecast/versions", params={"as_of_cycle": "2025-03"}, headers=h).json()
    refs = {a["scenario_id"]: (a["version_id"], a["planning_cycle"]) for a in mar["as_of"]}
    assert refs["baseline"] == ("forecast-c3", "2025-03") and refs["final"][1] == "2025-02"
    finals = c.get("/forecast/versions", params={"scenario": "final", "limit": 500}, headers=h).json()
    assert finals["total"] == 3 and {i["scenario_id"] for i in finals["items"]} == {"final"}

    # bad input: 4xx with a message, never a 500
    for params, code in (({"as_of_cycle": "2024-12"}, 404), ({"as_of_cycle": "2025-13"}, 422),
                         ({"as_of_cycle": "March"}, 422), ({"scenario": "plan"}, 422), ({"limit": 0}, 422)):
        r = c.get("/forecast/versions", params=params, headers=h)
        assert r.status_code == code, (params, r.status_code, r.text)
        assert r.json().get("detail") or r.json().get("message"), r.text
    assert c.get("/forecast/versions").status_code == 401


def test_as_of_slice_sums_what_was_published_then(api, lake):
    c, h = api
    _, pub = lake
    for cycle, dfus in (("2025-03", None), ("2025-02", ["B|L1"]), ("2025-04", ["A|L1", "C|L2"])):
        refs = _ids_as_of(pub, cycle)
        keep = set(dfus or DFUS)
        want: dict[str, dict[str, Any]] = {}
        for scen, vid in refs.items():
            v = next(x for x in pub.versions if x["id"] == vid)
            for (dfu, target), (qty, _, _) in v["rows"].items():
                if dfu not in keep:
                    continue
                p = want.setdefault(f"{target:%Y-%m-%d}", {"baseline_qty": None, "final_qty": None, "dfus": set(),
                                                           "lags": set()})
                p[f"{scen}_qty"] = (p[f"{scen}_qty"] or 0.0) + qty
                p["dfus"].add(dfu)
                p["lags"].add((target.year - v["origin"].year) * 12 + target.month - v["origin"].month - 1)
        params: dict[str, Any] = {"cycle": cycle} | ({"dfu": dfus} if dfus else {})
        r = c.get("/forecast/as-of", params=params, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert {a["scenario_id"]: a["version_id"] for a in body["as_of"]} == refs
        got = {p["target_month"]: p for p in body["points"]}
        assert got.keys() == want.keys(), cycle
        for month, w in want.items():
            for col in ("baseline_qty", "final_qty"):
                assert (got[month][col] is None) == (w[col] is None), (cycle, month, col)
                if w[col] is not None:
                    assert got[month][col] == pytest.approx(w[col]), (cycle, month, col)
            assert got[month]["n_dfus"] == len(w["dfus"])
            assert got[month]["lag"] == min(w["lags"])
    # a filter on the dimension: category snacks is A|L1 and C|L2
    snacks = c.get("/forecast/as-of", params={"cycle": "2025-04", "category": "snacks"}, headers=h).json()
    both = c.get("/forecast/as-of", params={"cycle": "2025-04", "dfu": ["A|L1", "C|L2"]}, headers=h).json()
    assert snacks["points"] == both["points"]
    assert c.get("/forecast/as-of", params={"cycle": "2024-06"}, headers=h).status_code == 404
    assert c.get("/forecast/as-of", headers=h).status_code == 422  # cycle is required


def test_waterfall_endpoint_sums_the_standing_cells(api, lake):
    c, h = api
    _, pub = lake
    want = expected_waterfall(pub)
    r = c.get("/waterfall", params={"from": "2025-01", "to": "2025-12", "dfu": ["A|L1", "B|L1"]}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lags"] == [4, 3, 2, 1, 0]
    cells: dict[tuple[str, int], dict[str, Any]] = {}
    for (dfu, target, lag), w in want.items():
        if dfu == "C|L2":
            continue
        cell = cells.setdefault((f"{target:%Y-%m-%d}", lag), {"baseline_qty": None, "final_qty": None, "n": 0,
                                                               "ov": 0, "cycle": w["planning_cycle"]})
        for col in ("baseline_qty", "final_qty"):
            if w[col] is not None:
                cell[col] = (cell[col] or 0.0) + w[col]
        cell["n"] += 1
        cell["ov"] += w["override_id"] is not None
    got = {(m["target_month"], cl["lag"]): cl for m in body["months"] for cl in m["cells"]}
    assert got.keys() == cells.keys()
    for key, w in cells.items():
        g = got[key]
        assert (g["planning_cycle"], g["n_dfus"], g["n_overridden"]) == (w["cycle"], w["n"], w["ov"]), key
        for col in ("baseline_qty", "final_qty"):
            assert (g[col] is None) == (w[col] is None), (key, col)
            if w[col] is not None:
                assert g[col] == pytest.approx(w[col]), (key, col)
    for m in body["months"]:  # lag 4 first, as the classic waterfall reads
        assert [cl["lag"] for cl in m["cells"]] == sorted((cl["lag"] for cl in m["cells"]), reverse=True)
    # accuracy by lag of the final forecast: pooled over the cells with an actual, computed here
    for la in body["accuracy_by_lag"]:
        rows = [w for (d, t, lag), w in want.items() if d != "C|L2" and lag == la["lag"]
                and w["actual_qty"] is not None and w["final_qty"] is not None]
        if not rows:
            continue
        err = sum(abs(w["final_qty"] - w["actual_qty"]) for w in rows)
        act = sum(abs(w["actual_qty"]) for w in rows)
        assert la["final"]["accuracy_pct"] == pytest.approx(accuracy(err, act)), la["lag"]
    assert c.get("/waterfall", params={"from": "2025-05", "to": "2025-01"}, headers=h).status_code == 422


def test_override_value_endpoint_groups_and_pools(api, lake):
    c, h = api
    _, pub = lake
    want = expected_value(pub)
    r = c.get("/override-value", params={"by": "override"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len({oid for oid, _ in want})
    for item in body["items"]:
        parts = [w for (oid, _), w in want.items() if oid == item["key"]]
        fe, se, a = (sum(p[k] for p in parts) for k in ("fe", "se", "a"))
        assert item["n_rows"] == sum(p["n"] for p in parts)
        assert item["fva"] == pytest.approx(accuracy(fe, a) - accuracy(se, a)), item["key"]
        o = pub.overrides[item["key"]]
        assert o["dfu_id"] in item["detail"] and o["reason"] in item["detail"]
    fvas = [i["fva"] for i in body["items"]]
    assert fvas == sorted(fvas)  # worst first
    by_reason = {i["key"]: i for i in c.get("/override-value", params={"by": "reason_code"}, headers=h).json()["items"]}
    assert by_reason.keys() == {pub.overrides[oid]["reason"] for oid, _ in want}
    by_planner = c.get("/override-value", params={"by": "planner"}, headers=h).json()["items"]
    assert {i["key"] for i in by_planner} == {pub.overrides[oid]["planner"] for oid, _ in want}
    lag1 = c.get("/override-value", params={"by": "lag", "lag": 1}, headers=h).json()
    assert [i["key"] for i in lag1["items"]] == ["1"] and lag1["items"][0]["n_rows"] == sum(
        w["n"] for (_, lag), w in want.items() if lag == 1)
    assert c.get("/override-value", params={"by": "month"}, headers=h).status_code == 422
    assert c.get("/override-value", params={"lag": 9}, headers=h).status_code == 422
