"""The shared Iceberg JDBC catalog as pyiceberg sees it (SqlCatalog on the same Postgres tables as Spark/Trino)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from lakecast.settings import Settings


def sqlalchemy_url(jdbc_uri: str, user: str) -> str:
    """``jdbc:postgresql://host:port/db`` (+ user) -> ``postgresql+psycopg://user@host:port/db``."""
    if not jdbc_uri.startswith("jdbc:postgresql://"):
        raise ValueError(f"catalog.uri must be jdbc:postgresql://host:port/database, got {jdbc_uri!r}")
    parsed = urlparse(jdbc_uri[len("jdbc:"):])
    auth = f"{user}@" if user else ""
    return f"postgresql+psycopg://{auth}{parsed.netloc}{parsed.path}"


def s3_properties(settings: Settings) -> dict[str, str]:
    """pyiceberg FileIO properties for the catalog's object store (PyArrow's S3 file system)."""
    c = settings.catalog
    props = {"s3.region": c.s3_region}
    if c.s3_endpoint:
        props |= {"s3.endpoint": c.s3_endpoint, "s3.path-style-access": "true"}
    if c.s3_access_key:
        props |= {"s3.access-key-id": c.s3_access_key, "s3.secret-access-key": c.s3_secret_key}
    return props


def pyiceberg_catalog(settings: Settings, **extra: Any):
    """Return pyiceberg's SqlCatalog on the JDBC catalog's tables (same catalog name, so the same rows).

    Constructing it creates the catalog tables when missing (pyiceberg ``init_catalog_tables``), which is how
    `lakecast stack up` prepares an empty catalog database before Trino first reads it.
    """
    from pyiceberg.catalog.sql import SqlCatalog
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    c = settings.catalog
    if c.type != "jdbc":
        raise ValueError(f"pyiceberg_catalog needs catalog.type jdbc, not {c.type!r}")
    url = sqlalchemy_url(c.uri, c.jdbc_user)
    catalog = SqlCatalog(c.name, uri=url, warehouse=settings.warehouse, **s3_properties(settings), **extra)
    # No pooled connections left open behind a catalog object that is dropped (one loopback connect per lookup)
    catalog.engine.dispose()
    catalog.engine = create_engine(url, poolclass=NullPool)
    return catalog


def metadata_locations(catalog: Any) -> dict[str, str]:
    """``namespace.table -> current metadata file`` of every table of a pyiceberg SqlCatalog, in one query of the
    catalog's table (pyiceberg's own ``IcebergTables`` model; views, ``iceberg_type`` VIEW, left out)."""
    from pyiceberg.catalog.sql import IcebergTables
    from sqlalchemy import or_, select
    from sqlalchemy.orm import Session

    query = select(IcebergTables.table_namespace, IcebergTables.table_name, IcebergTables.metadata_location).where(
        IcebergTables.catalog_name == catalog.name,
        or_(IcebergTables.iceberg_type.is_(None), IcebergTables.iceberg_type == "TABLE"),
    )
    with Session(catalog.engine) as session:
        rows = session.execute(query).all()
    return {f"{ns}.{name}": location for ns, name, location in rows if location}
