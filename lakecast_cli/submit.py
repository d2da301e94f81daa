"""spark-submit wiring: the argv that runs registered jobs on a master, and the zip of Lakecast's code it ships.

It lives above the jobs because it names them (``spark_jobs/main.py``); the core library never does.
"""

from __future__ import annotations

from lakecast.runtime.spark import iceberg_runtime_jar, spark_conf
from lakecast.settings import Settings


def submit_command(settings: Settings, master: str, jobs: list[str], py_files: str) -> list[str]:
    """Return the spark-submit argv that runs ``jobs`` on ``master`` with Lakecast's code zipped in ``py_files``."""
    from pathlib import Path

    import pyspark

    main = Path(__file__).resolve().parents[1] / "spark_jobs" / "main.py"
    argv = [str(Path(pyspark.__file__).parent / "bin" / "spark-submit"), "--master", master,
            "--jars", iceberg_runtime_jar(), "--py-files", py_files]
    for key, value in spark_conf(settings).items():
        if key not in ("spark.jars", "spark.app.name"):
            argv += ["--conf", f"{key}={value}"]
    return [*argv, "--name", settings.spark.app_name, str(main), *jobs]


def build_py_files(dest_dir) -> str:
    """Zip the Python packages the jobs need (lakecast, contracts, spark_jobs) for --py-files; return the path."""
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dest = Path(dest_dir) / "lakecast-jobs.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in ("lakecast", "contracts", "spark_jobs"):
            for path in sorted((root / package).rglob("*.py")):
                zf.write(path, path.relative_to(root).as_posix())
    return str(dest)
