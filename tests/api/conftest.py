"""Fixtures for API tests: one real embedded Postgres per session (temp dir), the app, logged-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from api.main import create_app
from lakecast.appdb.testing import temporary_server
from lakecast.settings import Settings

ROLES_USERS = ("viewer", "planner", "planner2", "approver", "approver2", "admin")


@pytest.fixture(scope="session")
def pg() -> Iterator[tuple[Settings, str]]:
    """(settings, owner url) of a fresh embedded Postgres in a /tmp/lakecast-pg-* dir, migrated; stopped and
    deleted at session end."""
    with temporary_server() as pair:
        yield pair


@pytest.fixture(scope="session")
def client(pg: tuple[Settings, str]) -> Iterator[TestClient]:
    settings, _ = pg
    app = create_app(settings, seed_demo_users=True)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def owner_url(pg: tuple[Settings, str]) -> str:
    return pg[1]


@pytest.fixture(scope="session")
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    """username -> Authorization header (logged in once per session); 'anon' -> no header."""
    out: dict[str, dict[str, str]] = {"anon": {}}
    for username in ROLES_USERS:
        r = client.post("/auth/token", data={"username": username, "password": "lakecast"})
        assert r.status_code == 200, r.text
        out[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


@pytest.fixture()
def sql(owner_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """Direct autocommit connection as the database owner (superuser in embedded mode)."""
    with psycopg.connect(owner_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn
