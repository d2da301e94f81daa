"""``api.ui.mount_ui``: the built UI is served at / with an SPA fallback under /app, and never shadows the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.ui import mount_ui
from lakecast.settings import Settings

INDEX = "<!doctype html><title>Lakecast</title>"


@pytest.fixture()
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (root / "favicon.svg").write_text("<svg/>")
    return root


@pytest.fixture()
def client(tmp_path: Path, dist: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data")
    fresh = FastAPI()

    @fresh.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @fresh.post("/auth/token")
    def token() -> dict[str, str]:
        return {"access_token": "x"}

    @fresh.get("/overrides/{override_id}")
    def override(override_id: int) -> dict[str, int]:
        return {"id": override_id}

    assert mount_ui(fresh, settings, dist) is True
    return TestClient(fresh)  # no lifespan: nothing here needs the database


def test_ui_pages_and_assets_are_served(client: TestClient) -> None:
    for path in ("/", "/app", "/app/overview", "/app/dfu/I1%7CL1", "/app/overrides?status=all&id=3"):
        r = client.get(path)
        assert (r.status_code, r.text) == (200, INDEX), path
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
    r = client.get("/assets/index-abc123.js")
    assert (r.status_code, r.text) == (200, "console.log('ui')")
    assert client.get("/favicon.svg").text == "<svg/>"


def test_api_routes_keep_priority_and_errors(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/overrides/7").json() == {"id": 7}
    r = client.get("/no-such-api-path")
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    assert client.get("/overrides/7/unknown").status_code == 404
    assert client.get("/auth/token").status_code == 405  # wrong method on an API path stays a 405
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/assets/../index.html").status_code == 404


def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    app = FastAPI()
    assert mount_ui(app, Settings(data_dir=tmp_path), tmp_path / "no-dist") is False
    assert TestClient(app).get("/app/overview").status_code == 404


def test_ui_routes_stay_out_of_the_openapi_schema(tmp_path: Path, dist: Path) -> None:
    app = FastAPI()
    before = app.openapi()
    app.openapi_schema = None
    mount_ui(app, Settings(data_dir=tmp_path), dist)
    assert app.openapi() == before
