#!/usr/bin/env bash
# Lakecast quick start: install what a fresh machine lacks, then run the demo on the embedded default
# (Spark local + Iceberg on local files + DuckDB + embedded Postgres + MLflow/sqlite; no Docker).
# Usage: ./quickstart.sh [lakecast demo options, e.g. --scale tiny --no-serve]
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.local/bin:$PATH"  # where bootstrap may have put uv (pip --user)
bash scripts/bootstrap.sh
hash -r
exec uv run lakecast demo "$@"
