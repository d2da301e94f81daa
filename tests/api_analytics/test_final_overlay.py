"""Approval reaches the final forecast (issue 13 item 4): the API serves the baseline champion with the overrides
approved at the time of the request folded in, without a job; the Spark `final` job materialises the same numbers.

Real components: the session pipeline's Iceberg tables served by DuckDB (the API's engine, result cache on), a
real embedded Postgres, the governance API for every state change, the Spark final job. Expected quantities are
computed here from the statistical values Spark reads, by hand (x 0.75, x 1.10, 123.5), not with lakecast.final.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakecast.settings import PostgresSettings
from spark_jobs.publish import job_tables

pytestmark = [pytest.mark.integration, pytest.mark.spark]

Headers = dict[str, dict[str, str]]


# ---------------------------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def target(sq, forecast_ready: None) -> dict[str, Any]:
    """A DFU with a forward champion forecast, and its statistical quantity per month (from Spark)."""
    dfu_id = sq("SELECT dfu_id FROM gold.dim_dfu ORDER BY qty_12m DESC, dfu_id LIMIT 1 OFFSET 1")["dfu_id"].iloc[0]
    rows = sq("SELECT target_month, fcst_qty FROM gold.fact_forecast WHERE scenario_id = 'baseline' "
              f"AND model_id = 'champion' AND dfu_id = '{dfu_id}' ORDER BY target_month")
    stat = {dt.date.fromisoformat(str(m)[:10]): float(q) for m, q in zip(rows["target_month"], rows["fcst_qty"],
                                                                          strict=True)}
    assert len(stat) >= 3, f"{dfu_id} has {len(stat)} forward champion months; the test needs 3"
    return {"dfu_id": dfu_id, "stat": stat, "months": sorted(stat)}


def served_final(client: TestClient, headers: Headers, dfu_id: str) -> dict[dt.date, tuple[float, str | None]]:
    """month -> (fcst_qty, override_id) of the final series the DFU page serves now."""
    r = client.get(f"/dfus/{dfu_id}", params={"window": 1}, headers=headers["viewer"])
    assert r.status_code == 200, r.text
    final = r.json()["final"]
    assert final is not None and (final["scenario_id"], final["model_id"]) == ("final", "final")
    return {dt.date.fromisoformat(p["target_month"]): (p["fcst_qty"], p["override_id"]) for p in final["points"]}


def create_submitted(client: TestClient, headers: Headers, dfu_id: str, start: dt.date, end: dt.date,
                     **adjust: float) -> dict[str, Any]:
    item, loc = dfu_id.split("|")
    r = client.post("/overrides", headers=headers["planner"], json={
        "item_id": item, "location_id": loc, "start_month": f"{start:%Y-%m}", "end_month": f"{end:%Y-%m}",
        "reason_code": "promo", "reason_text": "final overlay test", **adjust})
    assert r.status_code == 201, r.text
    ov = r.json()
    r = client.post(f"/overrides/{ov['id']}/submit", headers=headers["planner"], json={"version": ov["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def act(client: TestClient, headers: Headers, ov: dict[str, Any], action: str, who: str,
        note: str = "ok") -> dict[str, Any]:
    r = client.post(f"/overrides/{ov['id']}/{action}", headers=headers[who],
                    json={"version": ov["version"], "note": note})
    assert r.status_code == 200, r.text
    return r.json()


def statistical(target: dict[str, Any]) -> dict[dt.date, tuple[float, str | None]]:
    return {m: (q, None) for m, q in target["stat"].items()}


# ---------------------------------------------------------------------------------------------- tests
def test_approve_reject_withdraw_change_the_served_final_at_once(client, headers, target) -> None:
    dfu_id, stat = target["dfu_id"], target["stat"]
    m0, m1, m2 = target["months"][:3]
    # nothing approved: the final forecast is the statistical one (no final job has to have run)
    assert served_final(client, headers, dfu_id) == statistical(target)

    qty = create_submitted(client, headers, dfu_id, m1, m2, new_qty=123.5)
    assert served_final(client, headers, dfu_id) == statistical(target), "a submitted override changed the final"
    t0 = time.monotonic()
    qty = act(client, headers, qty, "approve", "approver")
    after_approve = served_final(client, headers, dfu_id)  # the very next request, through the result cache
    seconds = time.monotonic() - t0
    assert after_approve == {**statistical(target), m1: (123.5, str(qty["id"])), m2: (123.5, str(qty["id"]))}
    assert seconds < 5, f"approval took {seconds:.1f} s to reach the served final"

    # reject: unchanged
    rejected = create_submitted(client, headers, dfu_id, m0, m2, new_qty=999.0)
    act(client, headers, rejected, "reject", "approver", note="no evidence")
    assert served_final(client, headers, dfu_id) == after_approve

    # a percentage applies to the statistical value; a later percentage on an overridden month too (not on 123.5)
    pct = act(client, headers, create_submitted(client, headers, dfu_id, m0, m0, pct_change=-25.0), "approve",
              "approver2")
    later = act(client, headers, create_submitted(client, headers, dfu_id, m1, m1, pct_change=10.0), "approve",
                "approver")
    got = served_final(client, headers, dfu_id)
    assert got[m0] == (pytest.approx(stat[m0] * 0.75), str(pct["id"]))
    assert got[m1] == (pytest.approx(stat[m1] * 1.10), str(later["id"]))
    assert got[m2] == (123.5, str(qty["id"]))

    # withdraw after approval: the month falls back to what is still approved, then to the statistical value
    act(client, headers, later, "withdraw", "planner", note="promo cancelled")
    got = served_final(client, headers, dfu_id)
    assert got[m1] == (123.5, str(qty["id"])) and got[m0] == (pytest.approx(stat[m0] * 0.75), str(pct["id"]))
    act(client, headers, qty, "withdraw", "approver2", note="supply fixed")
    act(client, headers, pct, "withdraw", "admin", note="wrong DFU")
    assert served_final(client, headers, dfu_id) == statistical(target)


def test_the_spark_final_job_writes_what_the_api_serves(client, headers, target, sq, spark, pipeline, analytics_pg,
                                                        rolled_back) -> None:
    """Cross-engine agreement: the same approved overrides, folded by the API (DuckDB rows + Python) and by the
    Spark job (Spark SQL), give identical quantities and lineage; the job's audit row names the overrides."""
    from spark_jobs import final as fjob

    dfu_id, stat = target["dfu_id"], target["stat"]
    m0, m1, m2 = target["months"][:3]
    other = sq("SELECT dfu_id FROM gold.dim_dfu ORDER BY qty_12m DESC, dfu_id LIMIT 1 OFFSET 2")["dfu_id"].iloc[0]
    a = act(client, headers, create_submitted(client, headers, dfu_id, m0, m1, new_qty=77.25), "approve", "approver")
    b = act(client, headers, create_submitted(client, headers, dfu_id, m1, m2, pct_change=12.5), "approve",
            "approver2")  # decided later: wins m1
    c = act(client, headers, create_submitted(client, headers, other, m0, m2, pct_change=-40.0), "approve",
            "approver")
    w = act(client, headers, create_submitted(client, headers, other, m1, m1, new_qty=5.0), "approve", "approver")
    act(client, headers, w, "withdraw", "admin", note="withdrawn before the job")
    api = {d: served_final(client, headers, d) for d in (dfu_id, other)}
    assert api[dfu_id][m0] == (77.25, str(a["id"]))
    assert api[dfu_id][m1] == (pytest.approx(stat[m1] * 1.125), str(b["id"]))

    _, url = analytics_pg
    s = pipeline.settings.model_copy(update={"postgres": PostgresSettings(mode="external", url=url)})
    with rolled_back(*job_tables("final")):
        result = fjob.run(spark, s)
        assert result.published
        job = sq("SELECT dfu_id, target_month, fcst_qty, override_id FROM gold.fact_forecast "
                 f"WHERE scenario_id = 'final' AND dfu_id IN ('{dfu_id}', '{other}')")
        written: dict[str, dict[dt.date, tuple[float, str | None]]] = {d: {} for d in (dfu_id, other)}
        for r in job.to_dict("records"):
            written[r["dfu_id"]][dt.date.fromisoformat(str(r["target_month"])[:10])] = (
                float(r["fcst_qty"]), r["override_id"])
        assert written == api  # exactly: the same IEEE operations in the same order on both sides
        # the audit log says which final run folded which overrides (withdrawn ones not among them)
        r = client.get("/audit", params={"entity": "final_run", "entity_id": result.run_id},
                       headers=headers["approver"])
        assert r.status_code == 200, r.text
        (entry,) = r.json()["items"]
        assert (entry["actor"], entry["action"]) == ("job:final", "final.publish")
        ids = {str(a["id"]), str(b["id"]), str(c["id"])}
        assert ids <= set(entry["after"]["override_ids"]) and str(w["id"]) not in entry["after"]["override_ids"]
        assert entry["after"]["override_months"][str(a["id"])] == 1  # m1 went to b
        assert entry["after"]["override_months"][str(c["id"])] == 3
        assert entry["after"]["snapshot_id"] == result.snapshots["gold.fact_forecast"]
        # after the job the API still serves the overlay, and it still equals the materialised rows
        assert {d: served_final(client, headers, d) for d in (dfu_id, other)} == written
    for ov in (a, b, c):  # leave no approved override behind for the other tests of this module
        act(client, headers, client.get(f"/overrides/{ov['id']}", headers=headers["viewer"]).json(), "withdraw",
            "admin", note="test cleanup")
