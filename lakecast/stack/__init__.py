"""The local production stack (`lakecast stack up|down|status`): MinIO, the Iceberg JDBC catalog's Postgres and
Trino, installed from the package registries on first use and run on loopback (docs/compose.md)."""
