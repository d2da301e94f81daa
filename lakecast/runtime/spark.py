"""Build the Spark session from Settings: Iceberg runtime jar from PyPI, catalog, memory, shuffle width."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from lakecast.settings import Settings

ICEBERG_JAR_GLOB = "iceberg-spark-runtime-3.5_2.12-*.jar"


def iceberg_runtime_jar() -> str:
    """Return the path of the Iceberg Spark runtime jar shipped by `snowpark-connect-deps-iceberg` (pinned 1.0.1).

    Maven Central is not reachable here, so `spark.jars.packages` cannot be used; the jar comes from PyPI.
    """
    import snowpark_connect_deps_iceberg as pkg

    root = Path(pkg.__file__).parent
    hits = sorted(glob.glob(str(root / "**" / ICEBERG_JAR_GLOB), recursive=True))
    if not hits:
        raise RuntimeError(
            f"Iceberg runtime jar {ICEBERG_JAR_GLOB} not found under {root}; "
            "reinstall with `uv sync` (snowpark-connect-deps-iceberg==1.0.1)"
        )
    return hits[0]


def spark_conf(settings: Settings) -> dict[str, str]:
    """Return every spark.* setting Lakecast needs, derived from Settings (used by the session and spark-submit)."""
    cat = f"spark.sql.catalog.{settings.catalog.name}"
    conf = {
        "spark.app.name": settings.spark.app_name,
        "spark.jars": iceberg_runtime_jar(),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        cat: "org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.defaultCatalog": settings.catalog.name,
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        # Invalid date text is null (and then quarantined), never a SparkUpgradeException.
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        # Keep Spark's own scratch space under the data dir, not the cwd.
        "spark.local.dir": str(settings.data_path / "spark-tmp"),
        "spark.sql.warehouse.dir": str(settings.data_path / "spark-warehouse"),
    }
    c = settings.catalog
    if c.type == "hadoop":
        conf[f"{cat}.type"] = "hadoop"
        conf[f"{cat}.warehouse"] = settings.warehouse
    else:
        conf[f"{cat}.type"] = c.type
        conf[f"{cat}.uri"] = c.uri
        conf[f"{cat}.warehouse"] = settings.warehouse
        conf[f"{cat}.io-impl"] = "org.apache.iceberg.aws.s3.S3FileIO"
        if c.s3_endpoint:
            conf[f"{cat}.s3.endpoint"] = c.s3_endpoint
            conf[f"{cat}.s3.path-style-access"] = "true"
        if c.s3_access_key:
            conf[f"{cat}.s3.access-key-id"] = c.s3_access_key
            conf[f"{cat}.s3.secret-access-key"] = c.s3_secret_key
            conf[f"{cat}.client.region"] = c.s3_region
    if c.type == "jdbc":
        # Iceberg's JdbcCatalog (in the runtime jar) keys its rows by catalog name: Trino and pyiceberg use the
        # same name. S3FileIO needs the AWS SDK bundle, the catalog the PostgreSQL driver (Maven Central).
        from lakecast.stack.jars import spark_catalog_jars

        conf["spark.jars"] = ",".join([conf["spark.jars"], *spark_catalog_jars(settings)])
        if c.jdbc_user:
            conf[f"{cat}.jdbc.user"] = c.jdbc_user
        # V1 (views, iceberg_type column) is what Trino's JDBC catalog reads; both would otherwise ALTER it
        conf[f"{cat}.jdbc.schema-version"] = "V1"
    conf.update(settings.spark.extra_conf)
    return conf


def get_spark(settings: Settings, use_settings_master: bool = True):
    """Return the active SparkSession (creating it from Settings if none runs) with this Settings' catalog.

    If a session already runs (tests, notebooks), the Settings' catalog is registered on it, so one session
    can serve several isolated warehouses under different catalog names.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        register_catalog(active, settings)
        return active
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or _python())
    builder = SparkSession.builder
    if use_settings_master:  # under spark-submit the master comes from --master instead
        builder = builder.master(settings.spark.master)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _python() -> str:
    import sys

    return sys.executable


def register_catalog(spark, settings: Settings) -> None:
    """Add (or confirm) the Settings' Iceberg catalog on a running session; catalogs load lazily by name."""
    prefix = f"spark.sql.catalog.{settings.catalog.name}"
    for key, value in spark_conf(settings).items():
        if key.startswith(prefix):
            current = spark.conf.get(key, None)
            if current is None:
                spark.conf.set(key, value)
            elif current != value:
                raise RuntimeError(
                    f"catalog {settings.catalog.name!r} is already bound to {key}={current}; "
                    f"use another catalog name for {value}"
                )
