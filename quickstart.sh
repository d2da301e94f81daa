#!/usr/bin/env bash
# Lakecast quick start: install what a fresh machine lacks, then run the demo on the embedded default
# (Spark local + Iceberg on local files + DuckDB + embedded Postgres + MLflow/sqlite; no Docker).
# Usage: ./quickstart.sh [lakecast demo options, e.g. --scale tiny --no-serve]
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec uv run lakecast demo "$@"
