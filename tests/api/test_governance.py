"""Governance API against a real embedded Postgres: auth, authorization matrix, state machine, concurrency,
audit guarantees, pagination and input validation."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import jwt
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lakecast.appdb.db import Conn, one_row

pytestmark = pytest.mark.integration

Headers = dict[str, dict[str, str]]


# ------------------------------------------------------------------------------------------------ helpers
def app_of(client: TestClient) -> FastAPI:
    """The FastAPI app under test (TestClient types its app as any ASGI callable)."""
    assert isinstance(client.app, FastAPI)
    return client.app


def new_item() -> str:
    return "IT-" + uuid.uuid4().hex[:10]


def override_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_id": new_item(),
        "location_id": "LOC-1",
        "start_month": "2026-01-01",
        "end_month": "2026-03-01",
        "pct_change": 10.0,
        "reason_code": "promo",
        "reason_text": "spring promo",
    }
    body.update(over)
    return body


def create(client: TestClient, headers: Headers, who: str = "planner", **over: Any) -> dict[str, Any]:
    r = client.post("/overrides", headers=headers[who], json=override_body(**over))
    assert r.status_code == 201, r.text
    return r.json()


def submit(client: TestClient, headers: Headers, ov: dict[str, Any], who: str = "planner") -> dict[str, Any]:
    r = client.post(f"/overrides/{ov['id']}/submit", headers=headers[who], json={"version": ov["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def state(sql: Conn, override_id: int) -> dict[str, Any]:
    """Everything a refused request must leave untouched, read straight from the database."""
    return {
        "override": one_row(sql.execute(
            "SELECT to_jsonb(o) AS j FROM overrides o WHERE id = %s", (override_id,)
        ))["j"],
        "audit": one_row(sql.execute(
            "SELECT count(*) AS n FROM audit_log WHERE entity = 'override' AND entity_id = %s",
            (str(override_id),),
        ))["n"],
        "comments": one_row(sql.execute(
            "SELECT count(*) AS n FROM override_comments WHERE override_id = %s", (override_id,)
        ))["n"],
        "approvals": one_row(sql.execute(
            "SELECT count(*) AS n FROM approvals WHERE override_id = %s", (override_id,)
        ))["n"],
    }


def total_overrides(sql: Conn) -> int:
    return one_row(sql.execute("SELECT count(*) AS n FROM overrides"))["n"]


# ------------------------------------------------------------------------------------------------ health/auth
def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"postgres": "ok", "engine": "ok"}}


def test_ready_reports_failing_registered_check(client: TestClient) -> None:
    from api.routes.health import ReadinessCheck

    def broken(app: Any) -> None:
        raise RuntimeError("catalog unreachable")

    checks = app_of(client).state.readiness_checks
    checks.append(ReadinessCheck("catalog", broken))
    try:
        r = client.get("/ready")
    finally:
        checks.pop()
    assert r.status_code == 503
    assert r.json()["checks"] == {"postgres": "ok", "engine": "ok", "catalog": "failed: catalog unreachable"}
    assert "catalog" in r.json()["detail"]


def test_openapi_and_unknown_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/auth/token", "/overrides", "/overrides/{override_id}/approve", "/audit", "/ready"):
        assert path in spec["paths"]
    assert set(spec["paths"]["/auth/token"]["post"]["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert client.get("/nope").json() == {"detail": "Not Found"}


def test_unexpected_errors_are_json_500(pg: Any) -> None:
    from api.main import create_app

    app = create_app(pg[0])

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500 and r.json() == {"detail": "internal server error"}


def test_login_form_and_json_and_me(client: TestClient) -> None:
    r = client.post(
        "/auth/token", data={"username": "approver", "password": "lakecast", "grant_type": "password"}
    )
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    r = client.post("/auth/token", json={"username": "viewer", "password": "lakecast"})
    assert r.status_code == 200
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json() == {
        "username": "viewer",
        "display_name": "Vera Viewer",
        "role": "viewer",
        "active": True,
        "permissions": [],
    }


# What each role may do, written out by hand from docs/governance.md ("Roles"): /auth/me serves it to the UI,
# which asks rather than keeping a copy (the old UI copy said only admins could save the competition config).
ME_PERMISSIONS = {
    "viewer": [],
    "planner": ["override.create", "override.withdraw", "override.comment", "competition.run"],
    "approver": ["override.decide", "override.withdraw", "override.comment", "audit.read", "competition.run",
                 "competition.save"],
    "admin": ["override.create", "override.decide", "override.withdraw", "override.comment", "audit.read",
              "competition.run", "competition.save"],
}


@pytest.mark.parametrize("who", ["viewer", "planner", "approver", "admin"])
def test_me_serves_the_permissions_of_the_role(client: TestClient, who: str) -> None:
    r = client.post("/auth/token", json={"username": who, "password": "lakecast"})
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == who
    assert sorted(me.json()["permissions"]) == sorted(ME_PERMISSIONS[who])


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        ({"json": {"username": "planner", "password": "nope"}}, 401, "incorrect username or password"),
        ({"json": {"username": "ghost", "password": "lakecast"}}, 401, "incorrect username or password"),
        ({"json": {"username": "planner"}}, 422, "password"),
        ({"data": {"username": "planner"}}, 422, "password"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "x-www-form-urlencoded"),
        (
            {"data": {"username": "planner", "password": "lakecast", "grant_type": "client_credentials"}},
            400,
            "grant_type",
        ),
    ],
)
def test_login_failures(client: TestClient, kwargs: dict[str, Any], status: int, needle: str) -> None:
    r = client.post("/auth/token", **kwargs)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_bad_tokens_are_401(client: TestClient, headers: Headers, pg: Any) -> None:
    from api.services.auth import ISSUER, jwt_secret

    settings = pg[0]
    secret = jwt_secret(settings)
    now = dt.datetime.now(dt.UTC)
    expired = jwt.encode(
        {
            "sub": "admin",
            "iat": now - dt.timedelta(hours=9),
            "exp": now - dt.timedelta(hours=1),
            "iss": ISSUER,
        },
        secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": "admin", "iat": now, "exp": now + dt.timedelta(hours=1), "iss": ISSUER},
        "not-the-secret" * 4,
        algorithm="HS256",
    )
    unknown = jwt.encode(
        {"sub": "ghost", "iat": now, "exp": now + dt.timedelta(hours=1), "iss": ISSUER},
        secret,
        algorithm="HS256",
    )
    cases = {
        None: "not authenticated",
        "garbage": "invalid token",
        expired: "token expired",
        forged: "invalid token",
        unknown: "user unknown or deactivated",
    }
    for token, needle in cases.items():
        h = {"Authorization": f"Bearer {token}"} if token else {}
        r = client.get("/auth/me", headers=h)
        assert r.status_code == 401, (token, r.text)
        assert needle in r.json()["detail"]
    assert (settings.data_path / "secrets" / "jwt.key").stat().st_mode & 0o777 == 0o600


def test_deactivated_user_token_stops_working(client: TestClient, sql: Conn) -> None:
    from lakecast.appdb.users import create_user

    name = "tmp" + uuid.uuid4().hex[:8]
    create_user(sql, username=name, display_name="Temp", role="planner", password="pw-123")
    tok = client.post("/auth/token", json={"username": name, "password": "pw-123"}).json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert client.get("/auth/me", headers=h).status_code == 200
    sql.execute("UPDATE users SET active = false WHERE username = %s", (name,))
    assert client.get("/auth/me", headers=h).status_code == 401
    assert client.post("/auth/token", json={"username": name, "password": "pw-123"}).status_code == 401


# ------------------------------------------------------------------------------------------------ matrix
USERS = ("anon", "viewer", "planner", "planner2", "approver", "approver2", "admin")
# Override under test is created (and, for approve/reject, submitted) by "planner".
MATRIX: dict[str, dict[str, int]] = {
    "create": {
        "anon": 401,
        "viewer": 403,
        "planner": 201,
        "planner2": 201,
        "approver": 403,
        "approver2": 403,
        "admin": 201,
    },
    "patch": {
        "anon": 401,
        "viewer": 403,
        "planner": 200,
        "planner2": 403,
        "approver": 403,
        "approver2": 403,
        "admin": 200,
    },
    "submit": {
        "anon": 401,
        "viewer": 403,
        "planner": 200,
        "planner2": 403,
        "approver": 403,
        "approver2": 403,
        "admin": 200,
    },
    "approve": {
        "anon": 401,
        "viewer": 403,
        "planner": 403,
        "planner2": 403,
        "approver": 200,
        "approver2": 200,
        "admin": 200,
    },
    "reject": {
        "anon": 401,
        "viewer": 403,
        "planner": 403,
        "planner2": 403,
        "approver": 200,
        "approver2": 200,
        "admin": 200,
    },
    "comment": {
        "anon": 401,
        "viewer": 403,
        "planner": 201,
        "planner2": 201,
        "approver": 201,
        "approver2": 201,
        "admin": 201,
    },
}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("action", list(MATRIX))
def test_authorization_matrix(
    client: TestClient, headers: Headers, sql: Conn, action: str, who: str
) -> None:
    expected = MATRIX[action][who]
    if action == "create":
        count_before = total_overrides(sql)
        body = override_body()
        r = client.post("/overrides", headers=headers[who], json=body)
        assert r.status_code == expected, r.text
        if expected == 201:
            assert r.json()["created_by"] == who and r.json()["status"] == "draft"
            assert total_overrides(sql) == count_before + 1
        else:
            assert total_overrides(sql) == count_before
            assert (
                one_row(sql.execute(
                    "SELECT count(*) AS n FROM overrides WHERE item_id = %s", (body["item_id"],)
                ))["n"]
                == 0
            )
            assert r.json()["detail"]
        return

    ov = create(client, headers)
    if action in ("approve", "reject"):
        ov = submit(client, headers, ov)
    oid, version = ov["id"], ov["version"]
    before = state(sql, oid)
    h = headers[who]
    if action == "patch":
        r = client.patch(f"/overrides/{oid}", headers=h, json={"version": version, "new_qty": 42})
    elif action == "submit":
        r = client.post(f"/overrides/{oid}/submit", headers=h, json={"version": version})
    elif action == "approve":
        r = client.post(f"/overrides/{oid}/approve", headers=h, json={"version": version, "note": "ok"})
    elif action == "reject":
        r = client.post(f"/overrides/{oid}/reject", headers=h, json={"version": version, "note": "too high"})
    else:
        r = client.post(f"/overrides/{oid}/comments", headers=h, json={"body": "looks fine"})
    assert r.status_code == expected, r.text
    after = state(sql, oid)
    if expected >= 400:
        assert after == before, "a refused request changed something"
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]
        if expected == 401:
            assert r.headers["www-authenticate"] == "Bearer"
    else:
        assert after["audit"] == before["audit"] + 1
        if action != "comment":
            assert after["override"]["version"] == version + 1
        if action in ("approve", "reject"):
            assert after["override"]["status"] == {"approve": "approved", "reject": "rejected"}[action]
            assert after["override"]["decided_by"] == who
            assert after["approvals"] == 1


def test_four_eyes_admin_cannot_decide_own_override(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = submit(client, headers, create(client, headers, who="admin"), who="admin")
    before = state(sql, ov["id"])
    for verb in ("approve", "reject"):
        r = client.post(
            f"/overrides/{ov['id']}/{verb}",
            headers=headers["admin"],
            json={"version": ov["version"], "note": "self"},
        )
        assert r.status_code == 403
        assert "four-eyes" in r.json()["detail"] and "another approver" in r.json()["detail"]
    assert state(sql, ov["id"]) == before
    r = client.post(
        f"/overrides/{ov['id']}/approve", headers=headers["approver"], json={"version": ov["version"]}
    )
    assert r.status_code == 200 and r.json()["decided_by"] == "approver"


def test_four_eyes_submitter_cannot_decide(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = submit(client, headers, create(client, headers, who="planner"), who="admin")  # admin submits it
    assert ov["submitted_by"] == "admin"
    r = client.post(
        f"/overrides/{ov['id']}/approve", headers=headers["admin"], json={"version": ov["version"]}
    )
    assert r.status_code == 403 and "four-eyes" in r.json()["detail"]
    assert state(sql, ov["id"])["override"]["status"] == "submitted"


def test_planner_cannot_approve_anything(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    mine = submit(client, headers, create(client, headers, who="planner"))
    other = submit(client, headers, create(client, headers, who="planner2"), who="planner2")
    admins = submit(client, headers, create(client, headers, who="admin"), who="admin")
    for planner in ("planner", "planner2"):
        for ov in (mine, other, admins):
            for verb in ("approve", "reject"):
                r = client.post(
                    f"/overrides/{ov['id']}/{verb}",
                    headers=headers[planner],
                    json={"version": ov["version"], "note": "x"},
                )
                assert r.status_code == 403, r.text
                assert state(sql, ov["id"])["override"]["status"] == "submitted"


def test_db_enforces_four_eyes_even_for_direct_sql(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = submit(client, headers, create(client, headers, who="admin"), who="admin")
    with pytest.raises(psycopg.errors.CheckViolation, match="overrides_four_eyes"):
        sql.execute(
            "UPDATE overrides SET status = 'approved', decided_by = 'admin', decided_at = now(),"
            " version = version + 1 WHERE id = %s",
            (ov["id"],),
        )


# -------------------------------------------------------------------------------------------- state machine
def test_full_lifecycle_writes_one_audit_row_per_transition(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = create(client, headers)
    oid = ov["id"]
    r = client.patch(
        f"/overrides/{oid}",
        headers=headers["planner"],
        json={"version": 1, "new_qty": 120.5, "reason_text": "bigger promo"},
    )
    assert r.status_code == 200
    ov = r.json()
    assert ov["new_qty"] == 120.5 and ov["pct_change"] is None and ov["version"] == 2
    ov = submit(client, headers, ov)
    r = client.post(f"/overrides/{oid}/comments", headers=headers["approver"], json={"body": "checking"})
    assert r.status_code == 201
    r = client.post(
        f"/overrides/{oid}/approve", headers=headers["approver"], json={"version": 3, "note": "ok"}
    )
    assert r.status_code == 200
    final = r.json()
    assert (
        final["status"],
        final["version"],
        final["created_by"],
        final["submitted_by"],
        final["decided_by"],
    ) == ("approved", 4, "planner", "planner", "approver")

    trail = client.get(f"/overrides/{oid}/audit", headers=headers["viewer"]).json()
    actions = [e["action"] for e in trail["items"]]
    assert actions == [
        "override.create",
        "override.update",
        "override.submit",
        "override.comment",
        "override.approve",
    ]
    assert trail["total"] == 5
    transitions = [e for e in trail["items"] if e["action"] != "override.comment"]
    assert transitions[0]["before"] is None and transitions[0]["after"]["status"] == "draft"
    expected = [(1, 2, "draft", "draft"), (2, 3, "draft", "submitted"), (3, 4, "submitted", "approved")]
    for entry, (v0, v1, s0, s1) in zip(transitions[1:], expected, strict=True):
        assert entry["actor"] in ("planner", "approver")
        assert (entry["before"]["version"], entry["after"]["version"]) == (v0, v1)
        assert (entry["before"]["status"], entry["after"]["status"]) == (s0, s1)
    assert transitions[1]["before"]["pct_change"] == 10.0 and transitions[1]["after"]["new_qty"] == 120.5
    assert transitions[3]["after"]["decision_note"] == "ok"
    # exactly one row per action in the table itself
    rows = sql.execute(
        "SELECT action, count(*) AS n FROM audit_log"
        " WHERE entity = 'override' AND entity_id = %s GROUP BY action",
        (str(oid),),
    ).fetchall()
    counts = {r["action"]: r["n"] for r in rows}
    assert counts == {
        "override.create": 1,
        "override.update": 1,
        "override.submit": 1,
        "override.comment": 1,
        "override.approve": 1,
    }
    comments = client.get(f"/overrides/{oid}/comments", headers=headers["viewer"]).json()
    assert [c["body"] for c in comments] == ["checking"]

    from lakecast.appdb.overrides import approved_overrides

    mine = [o for o in approved_overrides(app_of(client).state.db_url) if o["id"] == oid]
    assert len(mine) == 1 and mine[0]["new_qty"] == 120.5 and mine[0]["start_month"] == dt.date(2026, 1, 1)
    months = [
        o["target_month"]
        for o in approved_overrides(app_of(client).state.db_url, expand_months=True)
        if o["id"] == oid
    ]
    assert months == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def test_reject_needs_note_and_is_final(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = submit(client, headers, create(client, headers))
    r = client.post(
        f"/overrides/{ov['id']}/reject", headers=headers["approver"], json={"version": ov["version"]}
    )
    assert r.status_code == 422 and "note" in r.json()["detail"]
    r = client.post(
        f"/overrides/{ov['id']}/reject",
        headers=headers["approver"],
        json={"version": ov["version"], "note": "no evidence"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    rej = r.json()
    before = state(sql, ov["id"])
    attempts = [
        ("post", "approve", "approver2", {"version": rej["version"]}),
        ("post", "reject", "approver2", {"version": rej["version"], "note": "again"}),
        ("post", "submit", "planner", {"version": rej["version"]}),
        ("patch", "", "planner", {"version": rej["version"], "new_qty": 1}),
    ]
    for method, verb, who, body in attempts:
        url = f"/overrides/{ov['id']}" + (f"/{verb}" if verb else "")
        r = getattr(client, method)(url, headers=headers[who], json=body)
        assert r.status_code == 409, (verb, r.text)
        assert "rejected" in r.json()["detail"]
    assert state(sql, ov["id"]) == before


@pytest.mark.parametrize(
    ("status_before", "method", "verb", "who"),
    [
        ("draft", "post", "approve", "approver"),
        ("draft", "post", "reject", "approver"),
        ("submitted", "post", "submit", "planner"),
        ("submitted", "patch", "", "planner"),
        ("approved", "post", "approve", "approver2"),
        ("approved", "post", "submit", "planner"),
        ("approved", "patch", "", "admin"),
    ],
)
def test_illegal_transitions_are_409(
    client: TestClient,
    headers: Headers,
    sql: Conn,
    status_before: str,
    method: str,
    verb: str,
    who: str,
) -> None:
    ov = create(client, headers)
    if status_before in ("submitted", "approved"):
        ov = submit(client, headers, ov)
    if status_before == "approved":
        r = client.post(
            f"/overrides/{ov['id']}/approve", headers=headers["approver"], json={"version": ov["version"]}
        )
        ov = r.json()
    before = state(sql, ov["id"])
    body: dict[str, Any] = (
        {"version": ov["version"], "note": "n"}
        if verb in ("approve", "reject")
        else {"version": ov["version"]}
    )
    if method == "patch":
        body["reason_text"] = "edit"
    url = f"/overrides/{ov['id']}" + (f"/{verb}" if verb else "")
    r = getattr(client, method)(url, headers=headers[who], json=body)
    assert r.status_code == 409, r.text
    assert f"is {status_before}" in r.json()["detail"]
    assert state(sql, ov["id"]) == before


def test_stale_version_on_submit_and_approve_is_409(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = create(client, headers)
    r = client.post(f"/overrides/{ov['id']}/submit", headers=headers["planner"], json={"version": 7})
    assert r.status_code == 409 and "version conflict" in r.json()["detail"]
    ov = submit(client, headers, ov)
    r = client.post(f"/overrides/{ov['id']}/approve", headers=headers["approver"], json={"version": 1})
    assert r.status_code == 409 and "version conflict" in r.json()["detail"]
    assert state(sql, ov["id"])["override"]["status"] == "submitted"


def test_db_trigger_blocks_illegal_transition_even_for_direct_sql(
    client: TestClient, headers: Headers, sql: Conn
) -> None:
    ov = create(client, headers)
    with pytest.raises(
        psycopg.errors.CheckViolation, match="illegal override status transition draft -> approved"
    ):
        sql.execute(
            "UPDATE overrides SET status = 'approved', version = version + 1 WHERE id = %s", (ov["id"],)
        )
    with pytest.raises(psycopg.errors.CheckViolation, match="must set version"):
        sql.execute("UPDATE overrides SET reason_text = 'sneaky' WHERE id = %s", (ov["id"],))


# ------------------------------------------------------------------------------------------------ concurrency
def _wait_for_lock_waiters(sql: Conn, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = one_row(sql.execute(
            "SELECT count(*) AS n FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ))["n"]
        if waiting >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"expected {n} requests blocked on the row lock")


def _race(
    client: TestClient,
    requests: list[tuple[str, str, dict[str, str], dict[str, Any]]],
    sql: Conn,
    override_id: int,
    owner_url: str,
) -> list[Any]:
    """Fire the requests from threads while a separate transaction holds the override's row lock, wait until
    all of them are blocked inside Postgres on that lock, then release it: they are provably in flight
    together."""
    results: list[Any] = [None] * len(requests)

    def run(i: int) -> None:
        method, url, h, body = requests[i]
        results[i] = getattr(client, method)(url, headers=h, json=body)

    with psycopg.connect(owner_url) as locker:
        locker.execute("SELECT id FROM overrides WHERE id = %s FOR UPDATE", (override_id,))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for t in threads:
            t.start()
        try:
            _wait_for_lock_waiters(sql, len(requests))
        finally:
            locker.rollback()  # release the lock: the requests now race for it
        for t in threads:
            t.join(timeout=30)
    return results


def test_concurrent_edits_same_version_one_wins(
    client: TestClient, headers: Headers, sql: Conn, owner_url: str
) -> None:
    for _ in range(3):
        ov = create(client, headers)
        oid = ov["id"]
        url = f"/overrides/{oid}"
        reqs = [
            ("patch", url, headers["planner"], {"version": 1, "new_qty": 111, "reason_text": "from A"}),
            ("patch", url, headers["admin"], {"version": 1, "new_qty": 222, "reason_text": "from B"}),
        ]
        a, b = _race(client, reqs, sql, oid, owner_url)
        codes = sorted([a.status_code, b.status_code])
        assert codes == [200, 409], (a.text, b.text)
        winner, loser = (a, b) if a.status_code == 200 else (b, a)
        assert "version conflict" in loser.json()["detail"]
        row = state(sql, oid)
        assert row["override"]["version"] == 2
        assert row["override"]["new_qty"] == winner.json()["new_qty"]
        assert row["override"]["reason_text"] == winner.json()["reason_text"]
        assert row["audit"] == 2  # create + the one winning update


def test_concurrent_approvals_one_wins(
    client: TestClient, headers: Headers, sql: Conn, owner_url: str
) -> None:
    ov = submit(client, headers, create(client, headers))
    oid = ov["id"]
    reqs = [
        ("post", f"/overrides/{oid}/approve", headers["approver"], {"version": ov["version"]}),
        ("post", f"/overrides/{oid}/reject", headers["approver2"], {"version": ov["version"], "note": "no"}),
    ]
    a, b = _race(client, reqs, sql, oid, owner_url)
    assert sorted([a.status_code, b.status_code]) == [200, 409]
    winner = a if a.status_code == 200 else b
    row = state(sql, oid)
    assert row["approvals"] == 1
    assert row["override"]["status"] == winner.json()["status"]
    assert row["audit"] == 3  # create, submit, one decision


# ------------------------------------------------------------------------------------------------ audit log
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "UPDATE audit_log SET actor = 'mallory' WHERE false",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = -1",
        "TRUNCATE audit_log",
    ],
)
def test_audit_log_is_append_only_even_for_the_owner(sql: Conn, statement: str) -> None:
    before = sql.execute("SELECT count(*) AS n, max(id) AS m FROM audit_log").fetchone()
    verb = statement.split()[0]
    with pytest.raises(
        psycopg.errors.InsufficientPrivilege, match=f"audit_log is append-only: {verb} is not allowed"
    ):
        sql.execute(statement)
    assert sql.execute("SELECT count(*) AS n, max(id) AS m FROM audit_log").fetchone() == before


def test_app_role_has_no_write_access_to_audit_or_triggers(owner_url: str) -> None:
    from lakecast.appdb.migrate import app_role_conninfo

    with psycopg.connect(app_role_conninfo(owner_url), autocommit=True) as app_conn:
        assert one_row(app_conn.execute("SELECT current_user"))[0] == "lakecast_app"
        for statement in (
            "UPDATE audit_log SET actor = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            "DROP TRIGGER audit_log_append_only ON audit_log",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute(statement)


def test_audit_endpoint_roles_and_pagination(client: TestClient, headers: Headers) -> None:
    for who, code in (("anon", 401), ("viewer", 403), ("planner", 403), ("approver", 200), ("admin", 200)):
        assert client.get("/audit", headers=headers[who]).status_code == code
    p1 = client.get("/audit?limit=3", headers=headers["admin"]).json()
    p2 = client.get("/audit?limit=3&offset=3", headers=headers["admin"]).json()
    ids = [e["id"] for e in p1["items"] + p2["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    assert p1["total"] >= 6 and p1["limit"] == 3 and p2["offset"] == 3
    only = client.get("/audit?action=override.approve&limit=500", headers=headers["approver"]).json()
    assert only["items"] and all(e["action"] == "override.approve" for e in only["items"])


# ------------------------------------------------------------------------------------------------ listing
def test_pagination_is_stable_and_filters_work(client: TestClient, headers: Headers) -> None:
    item = new_item()
    made = [create(client, headers, item_id=item)["id"] for _ in range(7)]
    dfu = f"{item}|LOC-1"
    pages = []
    for offset in (0, 3, 6):
        r = client.get(
            "/overrides", headers=headers["viewer"], params={"dfu_id": dfu, "limit": 3, "offset": offset}
        )
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 7 and body["limit"] == 3 and body["offset"] == offset
        pages.append([o["id"] for o in body["items"]])
    assert pages == [made[0:3], made[3:6], made[6:7]]
    create(client, headers, item_id=item)  # a new row only appends: earlier pages do not move
    again = client.get("/overrides", headers=headers["viewer"], params={"dfu_id": dfu, "limit": 3}).json()
    assert [o["id"] for o in again["items"]] == made[0:3] and again["total"] == 8
    submit(client, headers, client.get(f"/overrides/{made[2]}", headers=headers["viewer"]).json())
    sub = client.get(
        "/overrides", headers=headers["viewer"], params={"dfu_id": dfu, "status": "submitted"}
    ).json()
    assert [o["id"] for o in sub["items"]] == [made[2]]
    default = client.get("/overrides", headers=headers["viewer"]).json()
    assert default["limit"] == 50 and default["offset"] == 0
    empty = client.get("/overrides", headers=headers["viewer"], params={"dfu_id": dfu, "offset": 100}).json()
    assert empty["items"] == [] and empty["total"] == 8


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (override_body(new_qty=5), "exactly one of new_qty or pct_change"),
        (
            {k: v for k, v in override_body().items() if k != "pct_change"},
            "exactly one of new_qty or pct_change",
        ),
        (override_body(start_month="2026-03-01", end_month="2026-01-01"), "before start_month"),
        (override_body(start_month="2026-01-15"), "first day"),
        (override_body(start_month="2026-13"), "start_month"),
        (override_body(end_month="2030-01"), "at most 36 months"),
        (override_body(reason_code="whim"), "reason_code"),
        (override_body(pct_change=-150), "pct_change"),
        (override_body(pct_change=None, new_qty=-1), "new_qty"),
        (override_body(colour="red"), "colour"),
        (override_body(dfu_id="X|Y"), "dfu_id must be item_id|location_id"),
        (override_body(item_id="A|B"), "item_id"),
        (override_body(item_id=""), "item_id"),
    ],
)
def test_create_validation_is_422_with_message(
    client: TestClient, headers: Headers, sql: Conn, body: dict[str, Any], needle: str
) -> None:
    before = total_overrides(sql)
    r = client.post("/overrides", headers=headers["planner"], json=body)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"] and isinstance(r.json()["errors"], list)
    assert total_overrides(sql) == before


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"new_qty": 3}, "version"),
        ({"version": 1}, "nothing to update"),
        ({"version": 0, "new_qty": 3}, "version"),
        ({"version": 1, "new_qty": 3, "pct_change": 4}, "exactly one"),
        ({"version": 1, "pct_change": None}, "exactly one"),
        ({"version": 1, "reason_code": None}, "reason_code cannot be null"),
        ({"version": 1, "item_id": "other"}, "item_id"),
        ({"version": 1, "end_month": "2025-01"}, "before start_month"),
    ],
)
def test_patch_validation_is_422(
    client: TestClient, headers: Headers, sql: Conn, body: dict[str, Any], needle: str
) -> None:
    ov = create(client, headers)
    before = state(sql, ov["id"])
    r = client.patch(f"/overrides/{ov['id']}", headers=headers["planner"], json=body)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]
    assert state(sql, ov["id"]) == before


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"status": "pending"}, {"limit": "ten"}]
)
def test_list_bad_params_are_422(client: TestClient, headers: Headers, params: dict[str, Any]) -> None:
    r = client.get("/overrides", headers=headers["viewer"], params=params)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("invalid request: query.")


def test_unknown_ids_are_404_and_bad_ids_422(client: TestClient, headers: Headers) -> None:
    missing = 9_000_000_000
    calls = [
        ("get", f"/overrides/{missing}", "viewer", None),
        ("patch", f"/overrides/{missing}", "planner", {"version": 1, "new_qty": 1}),
        ("post", f"/overrides/{missing}/submit", "planner", {"version": 1}),
        ("post", f"/overrides/{missing}/approve", "approver", {"version": 1}),
        ("post", f"/overrides/{missing}/reject", "approver", {"version": 1, "note": "x"}),
        ("post", f"/overrides/{missing}/comments", "planner", {"body": "x"}),
        ("get", f"/overrides/{missing}/comments", "viewer", None),
        ("get", f"/overrides/{missing}/audit", "viewer", None),
    ]
    for method, url, who, body in calls:
        kwargs = {"json": body} if body is not None else {}
        r = getattr(client, method)(url, headers=headers[who], **kwargs)
        assert r.status_code == 404, (url, r.text)
        assert r.json() == {"detail": f"override {missing} not found"}
    assert client.get("/overrides/0", headers=headers["viewer"]).status_code == 422
    assert client.get("/overrides/abc", headers=headers["viewer"]).status_code == 422
    r = client.post(
        "/overrides", headers={**headers["planner"], "content-type": "application/json"}, content=b"{oops"
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("invalid request")
    r = client.post("/overrides/1/comments", headers=headers["planner"], json={"body": "   "})
    assert r.status_code == 422 and "blank" in r.json()["detail"]


def _actions(client: TestClient, headers: Headers, who: str, oid: int) -> dict[str, dict[str, Any]]:
    r = client.get(f"/overrides/{oid}/actions", headers=headers[who])
    assert r.status_code == 200, r.text
    return {a["action"]: a for a in r.json()["actions"]}


@pytest.mark.parametrize("who", [u for u in USERS if u != "anon"])
def test_actions_endpoint_says_what_the_workflow_then_does(client: TestClient, headers: Headers, who: str) -> None:
    """GET /overrides/{id}/actions (what the UI shows) agrees with the authorization matrix written out above and
    with what the API then does, for a draft (edit, submit) and a submitted override (approve, reject)."""
    draft = create(client, headers)
    sub = submit(client, headers, create(client, headers))
    for action, ov, matrix_key in (("edit", draft, "patch"), ("submit", draft, "submit"),
                                   ("approve", sub, "approve"), ("reject", sub, "reject")):
        said = _actions(client, headers, who, ov["id"])[action]
        assert said["allowed"] == (MATRIX[matrix_key][who] < 400), (action, said)
        assert (said["reason"] is None) == said["allowed"]
    # status: nothing but edit/submit on a draft, nothing but approve/reject on a submitted one
    said = _actions(client, headers, "admin", draft["id"])
    assert not said["approve"]["allowed"] and "only submitted overrides" in said["approve"]["reason"]
    assert not said["withdraw"]["allowed"] and "only approved overrides" in said["withdraw"]["reason"]
    assert not _actions(client, headers, "admin", sub["id"])["submit"]["allowed"]


def test_actions_endpoint_four_eyes_and_withdraw_ownership(client: TestClient, headers: Headers) -> None:
    own = submit(client, headers, create(client, headers, who="admin"), who="admin")
    said = _actions(client, headers, "admin", own["id"])["approve"]
    assert not said["allowed"] and "four-eyes" in said["reason"]
    r = client.post(f"/overrides/{own['id']}/approve", headers=headers["admin"],
                    json={"version": own["version"], "note": "ok"})
    assert r.status_code == 403 and r.json()["detail"] == said["reason"]  # the same words, from the same rule

    ov = submit(client, headers, create(client, headers))  # created by planner
    r = client.post(f"/overrides/{ov['id']}/approve", headers=headers["approver"],
                    json={"version": ov["version"], "note": "ok"})
    assert r.status_code == 200, r.text
    expected = {"viewer": False, "planner": True, "planner2": False, "approver": True, "approver2": True,
                "admin": True}  # docs/governance.md: the creating planner, any approver, an admin
    for who, allowed in expected.items():
        assert _actions(client, headers, who, ov["id"])["withdraw"]["allowed"] is allowed, who
    assert client.get(f"/overrides/{ov['id']}/actions").status_code == 401
    assert client.get("/overrides/999999999/actions", headers=headers["viewer"]).status_code == 404
