"""Slicing dimensions with their values (``/meta/dimensions``) and typeahead search (``/meta/search``).

Dimension values come from the served gold tables (current attributes of ``gold.dim_dfu``, the current
clusters, the models / lags / timeframes of the backtest accuracy facts). They are computed once per snapshot
state (``ServingEngine.cached``). Long lists are cut at ``max_values`` (most DFUs first); the typeahead is the
way to find the rest.
"""

from __future__ import annotations

from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import Dimension, DimensionsResponse, DimensionValue, SearchHit, SearchResponse
from api.services.analytics.common import ACCURACY, DIM_DFU

#: name -> (description, SQL returning value, label, n_dfus ordered by n_dfus desc, value)
_DFU_ATTRIBUTE = (
    "SELECT {col} AS value, NULL AS label, count(*) AS n_dfus FROM gold.dim_dfu WHERE {col} IS NOT NULL "
    "GROUP BY {col} ORDER BY n_dfus DESC, value"
)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "category": ("Item category (current)", _DFU_ATTRIBUTE.format(col="category")),
    "brand": ("Item brand (current)", _DFU_ATTRIBUTE.format(col="brand")),
    "supplier": ("Item supplier (current)", _DFU_ATTRIBUTE.format(col="supplier")),
    "region": ("Location region (current)", _DFU_ATTRIBUTE.format(col="region")),
    "location": (
        "Location (store or DC)",
        "SELECT d.location_id AS value, max(l.location_name) AS label, count(*) AS n_dfus FROM gold.dim_dfu d "
        "LEFT JOIN gold.dim_location l ON l.location_id = d.location_id AND l.is_current "
        "GROUP BY d.location_id ORDER BY n_dfus DESC, value",
    ),
    "customer": (
        "Customer (maps to the DFUs of the locations that served it)",
        "SELECT c.customer_id AS value, max(cu.customer_name) AS label, count(DISTINCT d.dfu_id) AS n_dfus "
        "FROM (SELECT DISTINCT customer_id, location_id FROM gold.agg_loc_customer_week) c "
        "JOIN gold.dim_dfu d ON d.location_id = c.location_id "
        "LEFT JOIN gold.dim_customer cu ON cu.customer_id = c.customer_id AND cu.is_current "
        "GROUP BY c.customer_id ORDER BY n_dfus DESC, value",
    ),
    "cluster": (
        "Current demand-pattern cluster",
        "SELECT CAST(cluster_id AS VARCHAR) AS value, max(cluster_label) AS label, count(*) AS n_dfus "
        "FROM gold.dim_dfu WHERE cluster_id IS NOT NULL GROUP BY cluster_id ORDER BY cluster_id",
    ),
    "abc_class": ("ABC class (volume share, last 12 months)", _DFU_ATTRIBUTE.format(col="abc_class")),
    "xyz_class": ("XYZ class (variability)", _DFU_ATTRIBUTE.format(col="xyz_class")),
    "model_id": (
        "Model (backtest accuracy; external = the legacy forecast)",
        f"SELECT DISTINCT model_id AS value, NULL AS label, NULL AS n_dfus FROM {ACCURACY} "
        "WHERE scenario_id = 'backtest' ORDER BY value",
    ),
    "lag": (
        "Forecast lag in months (0 = one month ahead); also 'execution' and 'all'",
        f"SELECT DISTINCT CAST(lag AS VARCHAR) AS value, NULL AS label, NULL AS n_dfus FROM {ACCURACY} "
        "WHERE scenario_id = 'backtest' ORDER BY value",
    ),
    "timeframe": (
        "Backtest origin label (A = oldest)",
        f"SELECT DISTINCT timeframe AS value, NULL AS label, NULL AS n_dfus FROM {ACCURACY} "
        "WHERE scenario_id = 'backtest' ORDER BY value",
    ),
}
_NEEDS = {"customer": ("gold.agg_loc_customer_week",), "model_id": (ACCURACY,), "lag": (ACCURACY,),
          "timeframe": (ACCURACY,)}


def _values(engine: ServingEngine, name: str) -> list[dict[str, Any]]:
    if not all(engine.available(t) for t in (DIM_DFU, *_NEEDS.get(name, ()))):
        return []
    return engine.cached(("dimension", name), lambda: engine.query(DIMENSIONS[name][1]))


def dimensions(engine: ServingEngine, *, max_values: int) -> DimensionsResponse:
    out = []
    for name, (description, _) in DIMENSIONS.items():
        rows = _values(engine, name)
        values = [DimensionValue(value=str(r["value"]), label=r["label"],
                                 n_dfus=None if r["n_dfus"] is None else int(r["n_dfus"])) for r in rows]
        out.append(Dimension(name=name, description=description, n_values=len(values),
                             truncated=len(values) > max_values, values=values[:max_values]))
    return DimensionsResponse(dimensions=out)


# ---------------------------------------------------------------------------------------------- search
#: kind -> (table, id column, name column, detail column, DFU key column in dim_dfu or None)
SEARCH: dict[str, tuple[str, str, str, str]] = {
    "item": ("gold.dim_item", "item_id", "item_name", "category"),
    "location": ("gold.dim_location", "location_id", "location_name", "region"),
    "customer": ("gold.dim_customer", "customer_id", "customer_name", "region"),
}


def search(engine: ServingEngine, *, q: str, kind: str, limit: int) -> SearchResponse:
    """Current items/locations/customers whose id or name contains ``q`` (case-insensitive): matches at the
    start of the id or name first, then the rest; then by id."""
    table, id_col, name_col, detail_col = SEARCH[kind]
    engine.require(table, DIM_DFU)
    needle = q.strip().lower()
    if kind == "customer":
        n_dfus = (
            "(SELECT count(DISTINCT d.dfu_id) FROM gold.dim_dfu d WHERE d.location_id IN "
            "(SELECT location_id FROM gold.agg_loc_customer_week w WHERE w.customer_id = t.customer_id))"
            if engine.available("gold.agg_loc_customer_week") else "0"
        )
    else:
        n_dfus = f"(SELECT count(*) FROM gold.dim_dfu d WHERE d.{id_col} = t.{id_col})"
    rows = engine.query(
        f"SELECT t.{id_col} AS id, t.{name_col} AS name, t.{detail_col} AS detail, {n_dfus} AS n_dfus, "
        f"CASE WHEN starts_with(lower(t.{id_col}), ?) OR starts_with(lower(t.{name_col}), ?) THEN 0 ELSE 1 END "
        f"AS match_rank FROM {table} t WHERE t.is_current "
        f"AND (strpos(lower(t.{id_col}), ?) > 0 OR strpos(lower(t.{name_col}), ?) > 0) "
        f"ORDER BY match_rank, t.{id_col} LIMIT {int(limit)}",
        [needle, needle, needle, needle],
    )
    return SearchResponse(q=q, kind=kind, items=[  # type: ignore[arg-type]
        SearchHit(kind=kind, id=r["id"], name=r["name"], detail=r["detail"],  # type: ignore[arg-type]
                  n_dfus=None if r["n_dfus"] is None else int(r["n_dfus"])) for r in rows])
