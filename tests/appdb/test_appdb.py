"""App database layer against a real embedded Postgres: migrations, schema guard rails, seed, run registry,
approved overrides for the batch job, and the server lifecycle (last: it stops and restarts the server)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from lakecast.appdb import migrate, server
from lakecast.appdb.db import Conn, one_row
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg() -> Iterator[tuple[Settings, str]]:
    with temporary_server() as pair:
        yield pair


@pytest.fixture(scope="module")
def url(pg: tuple[Settings, str]) -> str:
    return pg[1]


@pytest.fixture()
def sql(url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture(scope="module")
def seeded(url: str) -> list[str]:
    from lakecast.appdb.seed import seed_demo_users

    return seed_demo_users(url)


# ------------------------------------------------------------------------------------------------ migrations
def test_migrated_to_head_idempotently_even_concurrently(url: str) -> None:
    head = migrate.head_revision()
    assert head is not None and migrate.current_revision(url) == head
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate.upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert migrate.current_revision(url) == head


def test_downgrade_and_upgrade_roundtrip_in_scratch_database(url: str, sql: Conn) -> None:
    sql.execute("DROP DATABASE IF EXISTS scratch")
    sql.execute("CREATE DATABASE scratch")
    scratch = psycopg.conninfo.make_conninfo(url, dbname="scratch")
    migrate.upgrade(scratch)
    migrate.downgrade(scratch, "base")
    assert migrate.current_revision(scratch) is None
    with psycopg.connect(scratch) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"alembic_version"}
    migrate.upgrade(scratch)
    assert migrate.current_revision(scratch) == migrate.head_revision()
    sql.execute("DROP DATABASE scratch WITH (FORCE)")


def test_extensions_and_tables(sql: Conn) -> None:
    exts = {r["extname"] for r in sql.execute("SELECT extname FROM pg_extension").fetchall()}
    assert {"vector", "pg_trgm"} <= exts
    assert one_row(sql.execute("SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector AS d"))["d"] == 2.0
    tables = {
        r["tablename"] for r in sql.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
    }
    assert {"users", "overrides", "override_comments", "approvals", "audit_log", "pipeline_runs"} <= tables


# ------------------------------------------------------------------------------------------------ guard rails
@pytest.mark.parametrize(
    "verb", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_audit_log_rejects_update_delete_truncate(
    sql: Conn, verb: str, seeded: list[str]
) -> None:
    n = one_row(sql.execute("SELECT count(*) AS n FROM audit_log"))["n"]
    assert n >= 6  # the seed's user.create rows
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_log is append-only"):
        sql.execute(verb)
    assert one_row(sql.execute("SELECT count(*) AS n FROM audit_log"))["n"] == n


def test_write_audit_refuses_to_run_outside_a_transaction(sql: Conn) -> None:
    from lakecast.appdb.audit import write_audit

    with pytest.raises(RuntimeError, match="inside the transaction"):
        write_audit(sql, actor="t", action="x", entity="y", entity_id=1)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ("'A|B', 'A', 'B', '2026-01-01', '2026-02-01', 1, 5, 'promo'", "overrides_exactly_one_adjustment"),
        (
            "'A|B', 'A', 'B', '2026-01-01', '2026-02-01', NULL, NULL, 'promo'",
            "overrides_exactly_one_adjustment",
        ),
        ("'A|C', 'A', 'B', '2026-01-01', '2026-02-01', 1, NULL, 'promo'", "overrides_dfu_id_check"),
        ("'A|B', 'A', 'B', '2026-01-02', '2026-02-01', 1, NULL, 'promo'", "overrides_start_month_check"),
        ("'A|B', 'A', 'B', '2026-03-01', '2026-02-01', 1, NULL, 'promo'", "overrides_month_range"),
        ("'A|B', 'A', 'B', '2026-01-01', '2026-02-01', 1, NULL, 'whim'", "overrides_reason_code_check"),
    ],
)
def test_override_constraints(
    sql: Conn, seeded: list[str], values: str, constraint: str
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation, match=constraint):
        sql.execute(
            "INSERT INTO overrides (dfu_id, item_id, location_id, start_month, end_month, new_qty,"
            " pct_change,"
            f" reason_code, created_by) VALUES ({values}, 'planner')"
        )


# --------------------------------------------------------------------------------------------- seed / users
def test_seed_is_idempotent_and_passwords_verify(
    url: str, sql: Conn, seeded: list[str]
) -> None:
    from lakecast.appdb.seed import DEMO_USERS, seed_demo_users
    from lakecast.appdb.users import authenticate

    assert seeded == [u for u, _, _ in DEMO_USERS]
    assert seed_demo_users(url) == []
    roles = {r["username"]: r["role"] for r in sql.execute("SELECT username, role FROM users").fetchall()}
    assert roles == {u: role for u, _, role in DEMO_USERS}
    assert (
        one_row(sql.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'user.create'"))["n"] == 6
    )
    user = authenticate(sql, "approver2", "lakecast")
    assert user is not None and user["role"] == "approver"
    assert authenticate(sql, "approver2", "wrong") is None
    assert authenticate(sql, "nobody", "lakecast") is None
    stored = one_row(sql.execute("SELECT password_hash FROM users WHERE username = 'admin'"))[
        "password_hash"
    ]
    assert stored.startswith("scrypt$16384$8$1$") and "lakecast" not in stored


def test_password_hashing() -> None:
    from lakecast.appdb.passwords import hash_password, verify_password

    a, b = hash_password("s3cret"), hash_password("s3cret")
    assert a != b  # salted
    assert verify_password("s3cret", a) and verify_password("s3cret", b)
    assert not verify_password("s3creT", a)
    assert not verify_password("s3cret", "garbage") and not verify_password("s3cret", "scrypt$1$2$3$zz$zz")


# ------------------------------------------------------------------------------------------------ runs
def test_record_run_upserts_and_merges_details(url: str) -> None:
    from lakecast.appdb.runs import list_runs, record_run

    first = record_run(url, run_id="r-1", job="forecast", status="running", details={"scale": "tiny"})
    assert first["finished_at"] is None and first["details"] == {"scale": "tiny"}
    done = record_run(url, run_id="r-1", job="forecast", status="succeeded", details={"rows": 10})
    assert done["status"] == "succeeded" and done["finished_at"] is not None
    assert done["details"] == {"scale": "tiny", "rows": 10}
    assert done["started_at"] == first["started_at"]
    record_run(url, run_id="r-2", job="gold", status="failed", details={"error": "boom"})
    assert [r["run_id"] for r in list_runs(url, job="forecast")] == ["r-1"]
    assert {r["run_id"] for r in list_runs(url)} >= {"r-1", "r-2"}
    with pytest.raises(ValueError, match="status must be one of"):
        record_run(url, run_id="r-3", job="x", status="exploded")  # type: ignore[arg-type]  # the runtime check


# ------------------------------------------------------------------------------------------------ approved
def test_approved_overrides_for_the_job(url: str, seeded: list[str]) -> None:
    from api.services import overrides as svc
    from contracts.app import ApprovalDecision, OverrideCreate, UserPublic
    from lakecast.appdb.db import connect
    from lakecast.appdb.overrides import approved_overrides

    planner = UserPublic(username="planner", display_name="P", role="planner")
    approver = UserPublic(username="approver", display_name="A", role="approver")
    with connect(url) as conn:
        made = []
        for qty, pct in ((50.0, None), (None, -20.0), (70.0, None)):
            ov = svc.create_override(
                conn,
                planner,
                OverrideCreate(
                    item_id="SKU",
                    location_id="DC1",
                    start_month="2026-05",
                    end_month="2026-06",
                    new_qty=qty,
                    pct_change=pct,
                    reason_code="event",
                ),
            )
            made.append(svc.submit_override(conn, planner, ov.id, ov.version))
        svc.decide_override(conn, approver, made[2].id, "approved", ApprovalDecision(version=made[2].version))
        svc.decide_override(
            conn, approver, made[1].id, "rejected", ApprovalDecision(version=made[1].version, note="no")
        )
        svc.decide_override(conn, approver, made[0].id, "approved", ApprovalDecision(version=made[0].version))
    rows = [r for r in approved_overrides(url) if r["dfu_id"] == "SKU|DC1"]
    assert [r["id"] for r in rows] == [made[2].id, made[0].id]  # decision order: the later one wins
    assert (
        rows[0]["new_qty"] == 70.0 and rows[0]["pct_change"] is None and rows[0]["decided_by"] == "approver"
    )
    months = [
        (r["id"], r["target_month"].isoformat())
        for r in approved_overrides(url, expand_months=True)
        if r["dfu_id"] == "SKU|DC1"
    ]
    assert months == [
        (made[2].id, "2026-05-01"),
        (made[2].id, "2026-06-01"),
        (made[0].id, "2026-05-01"),
        (made[0].id, "2026-06-01"),
    ]


# ------------------------------------------------------------------------------------------------ lifecycle
def test_external_mode_uses_the_configured_url(url: str) -> None:
    ext = Settings(postgres={"mode": "external", "url": url})
    assert server.start(ext) == url and server.database_url(ext) == url
    assert server.stop(ext) is False
    st = server.status(ext)
    assert st.mode == "external" and st.running and st.url == url
    empty = Settings(postgres={"mode": "external", "url": ""})
    with pytest.raises(server.AppDbError, match=r"postgres\.url is empty"):
        server.start(empty)
    assert server.status(empty).running is False


def test_start_is_idempotent(pg: tuple[Settings, str]) -> None:
    settings, url = pg
    pid = server.status(settings).pid
    assert server.start(settings, keep_running=False) == url
    assert server.status(settings).pid == pid
    assert server.sqlalchemy_url(url).startswith("postgresql+psycopg://postgres@/lakecast?host=")


def test_server_survives_the_process_that_started_it(pg: tuple[Settings, str]) -> None:
    """Runs last: stop; start from a child process that exits; the server keeps running and is reused."""
    settings, url = pg
    assert server.stop(settings) is True
    st = server.status(settings)
    assert not st.running and st.detail == "stopped"
    with pytest.raises(server.AppDbError, match="not running"):
        server.database_url(settings, start_if_needed=False)

    code = (
        "import sys; from pathlib import Path; from lakecast.appdb import server;"
        " from lakecast.appdb.testing import temp_settings;"
        " print(server.start(temp_settings(Path(sys.argv[1]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(settings.data_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.strip() == url  # the child has exited by now
    st = server.status(settings)
    assert st.running and st.url == url and st.pid
    assert server.database_url(settings, start_if_needed=False) == url
    assert server.start(settings) == url and server.status(settings).pid == st.pid  # reused, not restarted
    with psycopg.connect(url) as conn:  # data survived the restart
        assert one_row(conn.execute("SELECT count(*) FROM users"))[0] == 6
    assert server.stop(settings) is True
    assert server.stop(settings) is False
