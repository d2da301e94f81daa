"""Serve the built browser UI (``ui/dist``) from the API process (``local`` mode: one port for both).

Why the layout: the UI's client-side routes all live under ``/app/`` (``/app/overview``,
``/app/overrides``, ...), so a browser reload of a UI page can never collide with an API path such as
``/overrides`` or ``/clusters``. What is served:

* ``/`` -> ``index.html`` (the UI redirects to ``/app/overview``);
* ``/assets/*`` and each other file at the top of ``ui/dist`` (favicon, ...) -> the file;
* ``/app`` and ``/app/<anything>`` -> ``index.html`` (SPA fallback: the router in the browser resolves it);
* anything else that no API route matched -> the usual JSON 404 ``{"detail": "Not Found"}`` (and a wrong
  method on an API path stays a 405: there is no catch-all outside ``/app``).

API routes keep priority: ``mount_ui`` runs after every router is included, so its routes come last.
Nothing is mounted when ``ui/dist/index.html`` does not exist (UI not built), and the added routes are kept
out of the OpenAPI schema, so the generated client is the same with or without a build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from lakecast.settings import Settings

#: The Vite build output of ``ui/`` (``npm run build``).
DEFAULT_DIST = Path(__file__).resolve().parents[1] / "ui" / "dist"
#: Prefix of every client-side route of the UI.
UI_PREFIX = "app"


def _file_endpoint(file: Path) -> Callable[[], FileResponse]:
    def serve() -> FileResponse:
        return FileResponse(file)

    return serve


def mount_ui(app: FastAPI, settings: Settings, dist: Path | None = None) -> bool:
    """Serve ``dist`` (default ``ui/dist``) at ``/`` with an SPA fallback under ``/app``; True if mounted."""
    root = (dist or DEFAULT_DIST).resolve()
    index = root / "index.html"
    if not index.is_file():
        return False
    app.state.ui_dist = root
    if (root / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=root / "assets"), name="ui-assets")

    def _index() -> FileResponse:
        # index.html must never be cached: it names the hashed asset files of the current build.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    def ui_page() -> FileResponse:
        return _index()

    for path in ("/", f"/{UI_PREFIX}", f"/{UI_PREFIX}/{{path:path}}"):
        app.add_api_route(path, ui_page, methods=["GET"], include_in_schema=False)
    for file in sorted(root.iterdir()):
        if file.is_file() and file.name != "index.html":
            app.add_api_route(f"/{file.name}", _file_endpoint(file), methods=["GET"], include_in_schema=False)
    return True
