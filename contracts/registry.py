"""Every table Lakecast writes, by fully qualified name (namespace.table)."""

from __future__ import annotations

from contracts.aggregates import AGGREGATE_TABLES
from contracts.base import TableSpec
from contracts.bronze import BATCH_LIFECYCLE, BRONZE_TABLES, INGEST_FILES
from contracts.forecast import FORECAST_TABLES
from contracts.gold import GATE_RESULTS, GOLD_TABLES
from contracts.ops import PUBLISHED_RUNS
from contracts.silver import BATCH_RECONCILIATION, SILVER_TABLES

TABLES: dict[str, TableSpec] = {
    spec.fqn: spec
    for group in (
        BRONZE_TABLES,
        SILVER_TABLES,
        GOLD_TABLES,
        FORECAST_TABLES,
        AGGREGATE_TABLES,
        {"x": INGEST_FILES, "y": GATE_RESULTS, "z": BATCH_RECONCILIATION, "w": BATCH_LIFECYCLE,
         "v": PUBLISHED_RUNS},
    )
    for spec in group.values()
}


def table(fqn: str) -> TableSpec:
    """Return the spec of ``namespace.table``; raises KeyError listing known names."""
    try:
        return TABLES[fqn]
    except KeyError:
        raise KeyError(f"unknown table {fqn!r}; known: {sorted(TABLES)}") from None
