"""Orchestration above the jobs: the ``lakecast`` CLI, the pipeline/demo runner, catalog docs, spark-submit wiring.

Layering (enforced by import-linter, see pyproject.toml): contracts -> lakecast -> spark_jobs / api -> lakecast_cli
-> bench. Nothing below this package imports it.
"""
