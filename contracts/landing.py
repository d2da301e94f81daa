"""Landing file layouts: the columns each source delivers, as delivered (before any typing).

Layout on disk: ``<data_dir>/landing/<source>/<batch_id>/<file>.csv|.parquet``. A batch is one delivery
(one directory); its id is the directory name. CSV files are UTF-8 (a source may declare another encoding),
comma-delimited with a header row; quoted fields may contain the delimiter and newlines.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LandingSource:
    """One delivered source: its expected header, the columns that must be present, and its grain."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    grain: str
    description: str


SALES_LINES = LandingSource(
    name="sales_lines",
    columns=("line_id", "sale_date", "item_id", "location_id", "customer_id", "qty", "unit_price", "promo_flag"),
    required=("line_id", "sale_date", "item_id", "location_id", "qty"),
    grain="one row per sales order line (line_id is unique across all batches)",
    description=(
        "Daily sales lines. sale_date YYYY-MM-DD; qty in units (>= 0); unit_price in currency per unit; "
        "promo_flag 0/1; customer_id empty when the location sells to anonymous consumers."
    ),
)

ITEM_MASTER = LandingSource(
    name="item_master",
    columns=(
        "item_id", "item_name", "brand", "category", "subcategory", "supplier", "uom", "unit_cost",
        "lead_time_days", "launch_date", "discontinue_date", "effective_date",
    ),
    required=("item_id", "item_name", "category", "effective_date"),
    grain="one row per item per master snapshot (effective_date = date the attributes take effect)",
    description="Item master snapshots; attributes (brand, category, supplier, ...) change between snapshots.",
)

LOCATION_MASTER = LandingSource(
    name="location_master",
    columns=("location_id", "location_name", "location_type", "region", "country", "effective_date"),
    required=("location_id", "location_name", "region", "effective_date"),
    grain="one row per location per master snapshot",
    description="Location master snapshots (stores and DCs); region may be reassigned between snapshots.",
)

CUSTOMER_MASTER = LandingSource(
    name="customer_master",
    columns=("customer_id", "customer_name", "segment", "region", "effective_date"),
    required=("customer_id", "customer_name", "effective_date"),
    grain="one row per customer per master snapshot",
    description="Customer master snapshots; segment may change between snapshots.",
)

EXTERNAL_FORECAST = LandingSource(
    name="external_forecast",
    columns=("item_id", "location_id", "fcst_origin", "target_month", "lag", "fcst_qty"),
    required=("item_id", "location_id", "fcst_origin", "target_month", "lag", "fcst_qty"),
    grain="one row per item x location x target_month x lag",
    description=(
        "Legacy (external) forecast. fcst_origin and target_month are YYYY-MM; lag in 0..4 with "
        "target_month = fcst_origin + lag + 1 (see lakecast/lag.py); fcst_qty in units."
    ),
)

PROMO_PLAN = LandingSource(
    name="promo_plan",
    columns=("plan_id", "item_id", "promo_month", "discount_pct", "status", "published_at"),
    required=("plan_id", "item_id", "promo_month", "discount_pct", "status", "published_at"),
    grain="one row per plan version: plan_id x published_at (a plan is one item x promo_month)",
    description=(
        "Promotion plan as the planner published it, every version kept. promo_month YYYY-MM; discount_pct "
        "in percent (0..100) off the list price; status planned|cancelled; published_at YYYY-MM-DD = the day "
        "the version was published. What the plan said at date d: the latest version per item_id x "
        "promo_month with published_at <= d."
    ),
)

SOURCES: dict[str, LandingSource] = {
    s.name: s
    for s in (SALES_LINES, ITEM_MASTER, LOCATION_MASTER, CUSTOMER_MASTER, EXTERNAL_FORECAST, PROMO_PLAN)
}
