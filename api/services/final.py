"""The served final forecast: the baseline champion with the currently approved overrides folded in at read time.

Approving or withdrawing an override changes what the API serves on the next request, without a job: every read
of the final forecast takes the statistical rows (``gold.fact_forecast`` scenario ``baseline``, model
``champion``, the latest published statistical version) from the serving engine and folds the approved overrides
read from Postgres in the same request into them, with the one fold rule (:mod:`lakecast.final`). The engine's
result cache only ever holds the Iceberg rows (keyed on their snapshots); the overrides are read fresh, so a
cached result cannot hide an approval. The ``final`` job materialises the same fold in Iceberg for history
(spark_jobs/final.py); tests/api_analytics/test_final_overlay.py proves the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakecast.appdb.db import Conn
from lakecast.appdb.overrides import read_approved
from lakecast.final import SOURCE_MODEL, SOURCE_SCENARIO, Adjustment, Key, fold_row, winning_overrides


def is_statistical(row: dict[str, Any]) -> bool:
    """True for a row the final forecast is folded from (baseline scenario, champion model)."""
    return row["scenario_id"] == SOURCE_SCENARIO and row["model_id"] == SOURCE_MODEL


def approved_adjustments(conn: Conn, dfu_ids: Sequence[str]) -> dict[Key, Adjustment]:
    """The winning approved override of every DFU-month of ``dfu_ids``, as of now."""
    return winning_overrides(read_approved(conn, dfu_ids)) if dfu_ids else {}


def overlay(conn: Conn, statistical: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Final rows from baseline champion rows (each with ``dfu_id``, ``target_month``, ``fcst_qty``)."""
    won = approved_adjustments(conn, sorted({r["dfu_id"] for r in statistical}))
    return [fold_row(r, won.get((r["dfu_id"], r["target_month"]))) for r in statistical]
