"""Test helper: a throwaway embedded Postgres in a temp directory (real server, no mocks)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakecast.appdb import migrate, server
from lakecast.settings import PostgresSettings, Settings


def temp_settings(data_dir: Path) -> Settings:
    """Settings whose data (Postgres PGDATA, JWT key, ...) all live under ``data_dir``, embedded mode."""
    return Settings(data_dir=data_dir, postgres=PostgresSettings(mode="embedded", url=""))


@contextmanager
def temporary_server(
    data_dir: Path | None = None, *, migrated: bool = True
) -> Iterator[tuple[Settings, str]]:
    """Start a fresh embedded Postgres; yield (settings, owner url); stop it (and delete the dir) afterwards.

    Without ``data_dir`` a new ``/tmp/lakecast-pg-*`` directory is used and removed at the end. Prefer
    that over pytest's ``tmp_path``: pytest keeps ``/tmp/pytest-of-<user>`` at mode 0700 (and re-tightens it
    whenever a pytest session starts), which locks out the unprivileged ``pgserver`` OS user that pgserver
    runs Postgres as when the tests run as root. ``keep_running=False``: pgserver also stops the server at
    interpreter exit if the test run dies before the ``finally``.
    """
    owned = data_dir is None
    root = Path(tempfile.mkdtemp(prefix="lakecast-pg-")) if data_dir is None else data_dir
    settings = temp_settings(root)
    try:
        url = server.start(settings, keep_running=False)
        try:
            if migrated:
                migrate.upgrade(url)
            yield settings, url
        finally:
            server.stop(settings)
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)
