"""Withdrawing an approved override (issue 13 item 4) against a real embedded Postgres: who may, from which
status, the note, the version check, the audit row, and the database trigger that holds for direct SQL too."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from lakecast.appdb.db import Conn
from lakecast.appdb.overrides import approved_overrides
from tests.api.test_governance import Headers, app_of, create, state, submit

pytestmark = pytest.mark.integration


def approved(client: TestClient, headers: Headers, who: str = "planner") -> dict[str, Any]:
    ov = submit(client, headers, create(client, headers, who), who)
    r = client.post(f"/overrides/{ov['id']}/approve", headers=headers["approver"], json={"version": ov["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def withdraw(client: TestClient, headers: Headers, ov: dict[str, Any], who: str, note: str = "promo cancelled"):
    return client.post(f"/overrides/{ov['id']}/withdraw", headers=headers[who],
                       json={"version": ov["version"], "note": note})


@pytest.mark.parametrize("who", ["planner", "approver2", "admin"])
def test_creator_planner_an_approver_or_an_admin_withdraws_and_it_leaves_the_folded_set(
        client: TestClient, headers: Headers, sql: Conn, who: str) -> None:
    ov = approved(client, headers)
    assert ov["id"] in {o["id"] for o in approved_overrides(app_of(client).state.db_url)}
    r = withdraw(client, headers, ov, who)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["status"], out["withdrawn_by"], out["version"]) == ("withdrawn", who, ov["version"] + 1)
    assert out["withdrawn_at"] is not None and out["decided_by"] == "approver"  # the decision stays on record
    assert ov["id"] not in {o["id"] for o in approved_overrides(app_of(client).state.db_url)}
    trail = client.get(f"/overrides/{ov['id']}/audit", headers=headers["viewer"]).json()["items"]
    last = trail[-1]
    assert (last["action"], last["actor"]) == ("override.withdraw", who)
    assert last["before"]["status"] == "approved" and last["after"]["status"] == "withdrawn"
    assert last["after"]["withdraw_note"] == "promo cancelled"
    # final: nothing moves a withdrawn override any more
    again = withdraw(client, headers, out, who)
    assert again.status_code == 409 and "withdrawn" in again.json()["detail"]


@pytest.mark.parametrize(("who", "code", "message"), [
    ("viewer", 403, "may not do override.withdraw (allowed: planner, approver, admin)"),
    ("planner2", 403, "only the planner who created override"),
    ("anon", 401, "not authenticated"),
])
def test_others_cannot_withdraw_and_nothing_changes(client: TestClient, headers: Headers, sql: Conn,
                                                    who: str, code: int, message: str) -> None:
    ov = approved(client, headers)
    before = state(sql, ov["id"])
    r = withdraw(client, headers, ov, who)
    assert r.status_code == code and message in r.json()["detail"], r.text
    assert state(sql, ov["id"]) == before


def test_only_approved_overrides_can_be_withdrawn(client: TestClient, headers: Headers,
                                                  sql: Conn) -> None:
    draft = create(client, headers)
    submitted = submit(client, headers, create(client, headers))
    rejected = submit(client, headers, create(client, headers))
    r = client.post(f"/overrides/{rejected['id']}/reject", headers=headers["approver"],
                    json={"version": rejected["version"], "note": "no"})
    assert r.status_code == 200
    for ov, status in ((draft, "draft"), (submitted, "submitted"), (r.json(), "rejected")):
        before = state(sql, ov["id"])
        got = withdraw(client, headers, ov, "admin")
        assert got.status_code == 409, got.text
        assert got.json()["detail"] == (f"override {ov['id']} is {status}: only approved overrides can be "
                                        "withdrawn")
        assert state(sql, ov["id"]) == before


def test_a_note_is_required_and_the_version_is_checked(client: TestClient, headers: Headers,
                                                       sql: Conn) -> None:
    ov = approved(client, headers)
    before = state(sql, ov["id"])
    blank = withdraw(client, headers, ov, "planner", note="   ")
    assert blank.status_code == 422 and "needs a note" in blank.text
    stale = client.post(f"/overrides/{ov['id']}/withdraw", headers=headers["planner"],
                        json={"version": ov["version"] - 1, "note": "x"})
    assert stale.status_code == 409 and "version conflict" in stale.json()["detail"]
    assert state(sql, ov["id"]) == before


def test_the_trigger_allows_approved_to_withdrawn_only(client: TestClient, headers: Headers,
                                                       sql: Conn) -> None:
    ov = approved(client, headers)
    with pytest.raises(psycopg.errors.CheckViolation, match="illegal override status transition approved -> rej"):
        sql.execute("UPDATE overrides SET status = 'rejected', version = version + 1 WHERE id = %s", (ov["id"],))
    with pytest.raises(psycopg.errors.CheckViolation, match="is approved: it can only be withdrawn"):
        sql.execute("UPDATE overrides SET decided_at = now(), version = version + 1 WHERE id = %s", (ov["id"],))
    with pytest.raises(psycopg.errors.CheckViolation, match="is approved: it can only be withdrawn"):
        sql.execute("UPDATE overrides SET status = 'withdrawn', withdrawn_by = 'admin', withdrawn_at = now(), "
                    "decided_by = 'admin', version = version + 1 WHERE id = %s", (ov["id"],))
    with pytest.raises(psycopg.errors.CheckViolation, match="overrides_withdrawn_fields"):
        sql.execute("UPDATE overrides SET status = 'withdrawn', version = version + 1 WHERE id = %s", (ov["id"],))
    sql.execute("UPDATE overrides SET status = 'withdrawn', withdrawn_by = 'admin', withdrawn_at = now(), "
                "version = version + 1 WHERE id = %s", (ov["id"],))
    with pytest.raises(psycopg.errors.CheckViolation, match="is withdrawn \\(final\\)"):
        sql.execute("UPDATE overrides SET reason_text = reason_text, version = version + 1 WHERE id = %s",
                    (ov["id"],))
    draft = create(client, headers)
    with pytest.raises(psycopg.errors.CheckViolation, match="illegal override status transition draft -> withdrawn"):
        sql.execute("UPDATE overrides SET status = 'withdrawn', withdrawn_by = 'admin', withdrawn_at = now(), "
                    "version = version + 1 WHERE id = %s", (draft["id"],))
