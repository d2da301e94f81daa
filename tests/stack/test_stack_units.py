"""The local stack's pieces without its processes: profile consistency, verified downloads, generated configs."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from lakecast.settings import PROJECT_ROOT, Settings
from lakecast.stack import trino_config
from lakecast.stack.catalog import sqlalchemy_url
from lakecast.stack.download import StackError, download_verified

CONF = PROJECT_ROOT / "conf"


def test_stack_profile_points_at_the_stack_section() -> None:
    """conf/stack.yaml repeats the stack's ports and credentials (the jobs read `catalog`): they must agree."""
    base = yaml.safe_load((CONF / "base.yaml").read_text())["stack"]
    prof = yaml.safe_load((CONF / "stack.yaml").read_text())
    cat = prof["catalog"]
    uri = urlparse(cat["uri"].removeprefix("jdbc:"))
    assert (uri.hostname, uri.port, uri.path) == (base["host"], base["postgres_port"], "/" + base["catalog_database"])
    s3 = urlparse(cat["s3_endpoint"])
    assert (s3.hostname, s3.port) == (base["host"], base["minio_port"])
    assert cat["warehouse"] == f"s3://{base['minio_bucket']}/"
    assert (cat["s3_access_key"], cat["s3_secret_key"]) == (base["minio_user"], base["minio_password"])
    assert (prof["engine"]["trino_host"], prof["engine"]["trino_port"]) == (base["host"], base["trino_port"])


def test_sqlalchemy_url_from_jdbc_uri() -> None:
    assert sqlalchemy_url("jdbc:postgresql://127.0.0.1:5433/iceberg_catalog", "postgres") == (
        "postgresql+psycopg://postgres@127.0.0.1:5433/iceberg_catalog")
    with pytest.raises(ValueError, match="jdbc:postgresql"):
        sqlalchemy_url("postgresql://127.0.0.1/x", "postgres")


def test_trino_catalog_properties(tmp_path: Path) -> None:
    settings = Settings(profile="stack", data_dir=tmp_path, catalog={
        "type": "jdbc", "uri": "jdbc:postgresql://127.0.0.1:5433/cat", "jdbc_user": "postgres",
        "warehouse": "s3://warehouse/", "s3_endpoint": "http://127.0.0.1:9100",
        "s3_access_key": "k", "s3_secret_key": "s"})
    etc = trino_config.write(settings, tmp_path / "etc")
    props = dict(line.split("=", 1) for line in (etc / "catalog" / "iceberg.properties").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert props["iceberg.catalog.type"] == "jdbc"
    assert props["iceberg.jdbc-catalog.catalog-name"] == "lakecast"  # Spark's catalog name: the same rows
    assert props["iceberg.jdbc-catalog.connection-url"] == "jdbc:postgresql://127.0.0.1:5433/cat"
    assert props["iceberg.jdbc-catalog.default-warehouse-dir"] == "s3://warehouse/"
    assert (props["s3.endpoint"], props["s3.aws-access-key"], props["s3.aws-secret-key"]) == (
        "http://127.0.0.1:9100", "k", "s")
    assert "-Xmx2G" in (etc / "jvm.config").read_text().splitlines()
    node = (etc / "node.properties").read_text().splitlines()
    assert "node.bind-ip=127.0.0.1" in node


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        return None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "repo"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Files(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_download_verifies_every_published_checksum(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    body = b"jar bytes " * 100_000
    (root / "a.jar").write_bytes(body)
    (root / "a.jar.sha1").write_text(hashlib.sha1(body).hexdigest() + "  a.jar\n")
    (root / "a.jar.sha512").write_text(hashlib.sha512(body).hexdigest())
    dest = tmp_path / "out" / "a.jar"
    got = download_verified(f"{base}/a.jar", dest)
    assert got == {"sha1": hashlib.sha1(body).hexdigest(), "sha512": hashlib.sha512(body).hexdigest()}
    assert dest.read_bytes() == body


def test_download_refuses_a_mismatch_and_keeps_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    (root / "b.jar").write_bytes(b"tampered")
    (root / "b.jar.sha1").write_text(hashlib.sha1(b"original").hexdigest())
    dest = tmp_path / "b.jar"
    with pytest.raises(StackError, match="checksum mismatch"):
        download_verified(f"{base}/b.jar", dest)
    assert list(tmp_path.glob("b.jar*")) == []


def test_download_refuses_an_unchecksummed_artifact(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    (root / "c.jar").write_bytes(b"x")
    with pytest.raises(StackError, match="no checksum"):
        download_verified(f"{base}/c.jar", tmp_path / "c.jar")
    with pytest.raises(StackError, match=r"HTTP 404|no checksum"):
        download_verified(f"{base}/missing.jar", tmp_path / "m.jar")
