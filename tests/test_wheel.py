"""The wheel is the product: built with ``uv build``, installed with its locked dependencies into a fresh venv,
its ``lakecast`` command runs and reads the conf/ and sql/ bundled inside it (away from the checkout)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e

PROBE = """
import json
from lakecast.appdb.migrate import MIGRATIONS_DIR
from lakecast.settings import CONF_DIR_DEFAULT, get_settings
s = get_settings()
print(json.dumps({"conf_dir": str(CONF_DIR_DEFAULT), "migrations": str(MIGRATIONS_DIR), "profile": s.profile,
                  "engine": s.engine.kind, "catalog": s.catalog.name, "spark_app": s.spark.app_name}))
"""


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def uv(prerequisite) -> str:
    path = shutil.which("uv")
    prerequisite("uv", None if path else "uv is not on PATH (scripts/bootstrap.sh installs it)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def wheel(uv: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([uv, "build", "--wheel", "--out-dir", str(out)], cwd=ROOT)
    [built] = out.glob("lakecast-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(uv: str, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the built wheel and the lock's runtime dependencies; returns its directory."""
    work = tmp_path_factory.mktemp("wheel-venv")
    requirements = work / "requirements.txt"
    _run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet",
          "--output-file", str(requirements)], cwd=ROOT)
    venv = work / "venv"
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=work)
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    _run([uv, "pip", "install", "--quiet", "--link-mode", "hardlink", "-r", str(requirements), str(wheel)],
         cwd=work, env=env)
    return venv


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    """The environment of a user of the installed package: no LAKECAST_* settings, no checkout on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKECAST_") and k not in ("PYTHONPATH",
                                                                                                "VIRTUAL_ENV")}
    return {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "HOME": str(home)}


def test_wheel_bundles_every_conf_and_sql_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("conf", "sql"):
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files
        missing = [str(p.relative_to(ROOT)) for p in files
                   if f"lakecast/_bundled/{p.relative_to(ROOT).as_posix()}" not in names]
        assert not missing, f"not in the wheel: {missing}"
    for package in ("lakecast", "lakecast_cli", "contracts", "spark_jobs", "api"):
        assert f"{package}/__init__.py" in names


def test_installed_cli_runs_and_reads_the_bundled_conf(installed: Path, tmp_path: Path) -> None:
    env = _clean_env(installed, tmp_path)
    help_text = _run(["lakecast", "--help"], cwd=tmp_path, env=env)
    for command in ("generate", "run", "demo", "serve", "jobs"):
        assert command in help_text
    jobs = _run(["lakecast", "jobs"], cwd=tmp_path, env={**env, "COLUMNS": "200"})
    for job in ("bronze", "silver", "gold", "forecast"):
        assert job in jobs

    probe = json.loads(_run([str(installed / "bin" / "python"), "-c", PROBE], cwd=tmp_path, env=env))
    site = next((installed / "lib").glob("python3*/site-packages"))
    assert Path(probe["conf_dir"]) == site / "lakecast" / "_bundled" / "conf"
    assert Path(probe["migrations"]) == site / "lakecast" / "_bundled" / "sql" / "app"
    assert (Path(probe["migrations"]) / "alembic.ini").is_file()
    base = yaml.safe_load((ROOT / "conf" / "base.yaml").read_text())
    assert probe["profile"] == "local"
    assert probe["engine"] == base["engine"]["kind"]
    assert probe["catalog"] == base["catalog"]["name"]
    assert probe["spark_app"] == base["spark"]["app_name"]
