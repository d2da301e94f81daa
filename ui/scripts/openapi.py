"""Write the API's OpenAPI schema to ``ui/openapi.json`` (the source of the generated TypeScript client).

Why a file: the UI's types (``ui/src/api/schema.d.ts``) are generated from it with ``openapi-typescript``,
and ``tests/e2e/test_openapi_client.py`` fails when the committed file no longer matches the app, so the
client cannot silently drift from the API. ``app.openapi()`` needs no database: nothing is started.

Run from the repo root: ``uv run python ui/scripts/openapi.py && (cd ui && npm run gen:api)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "ui" / "openapi.json"


def schema_text() -> str:
    """The app's OpenAPI schema as stable, pretty JSON text (trailing newline)."""
    sys.path.insert(0, str(ROOT))
    from api.main import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    TARGET.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
