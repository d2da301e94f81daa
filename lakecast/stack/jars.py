"""Jars Spark needs for the Iceberg JDBC catalog on S3, fetched from Maven Central into the stack cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from lakecast.settings import Settings
from lakecast.stack.download import download_verified, maven_url


def maven_jar(
    settings: Settings, group: str, artifact: str, version: str, progress: Callable[[str], None] | None = None
) -> Path:
    """Return the cached jar of ``group:artifact:version``, downloading and verifying it on first use.

    The verified checksums are kept beside the jar (``<jar>.verified.json``); a jar without that record is
    downloaded again (an interrupted earlier download never counts).
    """
    dest = settings.stack_cache_dir / "maven" / f"{artifact}-{version}.jar"
    record = dest.with_name(dest.name + ".verified.json")
    if dest.is_file() and record.is_file():
        return dest
    url = maven_url(settings.stack.maven_repository, group, artifact, version, "jar")
    checksums = download_verified(url, dest, progress=progress)
    record.write_text(json.dumps({"url": url, "checksums": checksums}, indent=1) + "\n")
    return dest


def spark_catalog_jars(settings: Settings, progress: Callable[[str], None] | None = None) -> list[str]:
    """Paths of the jars the JDBC catalog on S3 adds to Spark: the AWS SDK bundle S3FileIO uses (same Iceberg
    version as the runtime jar) and the PostgreSQL JDBC driver."""
    s = settings.stack
    return [
        str(maven_jar(settings, "org.apache.iceberg", "iceberg-aws-bundle", s.iceberg_version, progress)),
        str(maven_jar(settings, "org.postgresql", "postgresql", s.postgres_jdbc_version, progress)),
    ]
