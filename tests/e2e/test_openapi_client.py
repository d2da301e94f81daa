"""The UI's API client cannot drift from the API: the committed schema and generated types must be current.

``ui/openapi.json`` is what ``openapi-typescript`` turns into ``ui/src/api/schema.d.ts`` (the only source of
API types in the UI). When a route or model changes, regenerate both (see docs/ui.md):
``uv run python ui/scripts/openapi.py && (cd ui && npm run gen:api)``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api.main import create_app
from lakecast.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
REGENERATE = "uv run python ui/scripts/openapi.py && (cd ui && npm run gen:api)"

pytestmark = pytest.mark.unit


def test_committed_openapi_schema_matches_the_app(tmp_path: Path) -> None:
    committed = json.loads((UI / "openapi.json").read_text(encoding="utf-8"))
    # a round trip through JSON, as the script writes it (tuples -> lists, ...)
    current = json.loads(json.dumps(create_app(Settings(data_dir=tmp_path)).openapi()))
    if committed != current:
        changed = sorted(set(committed.get("paths", {})) ^ set(current.get("paths", {})))
        schemas = sorted(
            name
            for name in set(committed["components"]["schemas"]) | set(current["components"]["schemas"])
            if committed["components"]["schemas"].get(name) != current["components"]["schemas"].get(name)
        )
        pytest.fail(
            "ui/openapi.json is stale vs the API: "
            f"paths added/removed {changed or 'none'}, schemas changed {schemas or 'none'} "
            f"(or operation details). Regenerate the UI client: {REGENERATE}"
        )


def test_generated_typescript_matches_the_committed_schema(tmp_path: Path, prerequisite) -> None:
    generator = UI / "node_modules" / ".bin" / "openapi-typescript"
    prerequisite("node", None if shutil.which("node") else "node is not installed: cannot run openapi-typescript")
    prerequisite(
        "ui", None if generator.exists() else "ui/node_modules is not installed (scripts/bootstrap.sh runs npm ci)"
    )
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(generator), "openapi.json", "-o", str(out)], cwd=UI, check=True, capture_output=True, timeout=120
    )
    committed = (UI / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, f"ui/src/api/schema.d.ts is stale: {REGENERATE}"
