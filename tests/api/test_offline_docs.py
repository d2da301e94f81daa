"""/docs and /redoc work offline: every script and stylesheet they load is served by the API itself (no CDN)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration  # embedded Postgres (client fixture)


@pytest.mark.parametrize(("page", "marker"), [("/docs", "SwaggerUIBundle"), ("/redoc", "<redoc")])
def test_docs_pages_load_only_local_assets(client: TestClient, page: str, marker: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and marker in r.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text) + re.findall(r"url: ?'([^']+)'", r.text)
    scripts = [a for a in assets if a.endswith((".js", ".css"))]
    assert scripts, f"no script or stylesheet found on {page}"
    for a in assets:
        assert not re.match(r"^(https?:)?//", a), f"{page} loads {a} from outside the API"
    for a in scripts:
        got = client.get(a)
        assert got.status_code == 200 and len(got.content) > 10_000, f"{a}: {got.status_code}, {len(got.content)} B"
    assert client.get("/openapi.json").json()["info"]["title"] == "Lakecast API"
