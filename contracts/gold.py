"""Gold contracts: the served star schema, forecast facts and UI pre-aggregates (one grain per table)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from contracts.base import LakecastModel, TableSpec
from contracts.silver import SilverCustomer, SilverItem, SilverLocation


class DimItem(SilverItem):
    """Item attributes with SCD type 2 history (query "as of" d: valid_from <= d < valid_to)."""


class DimLocation(SilverLocation):
    """Location attributes with SCD type 2 history."""


class DimCustomer(SilverCustomer):
    """Customer attributes with SCD type 2 history."""


class DimCalendar(LakecastModel):
    date: dt.date = Field(description="Calendar day")
    week_start: dt.date = Field(description="Monday of the ISO week containing the day")
    month_start: dt.date = Field(description="First day of the month")
    quarter_start: dt.date = Field(description="First day of the quarter")
    year: int = Field(description="Calendar year")
    quarter: int = Field(description="Quarter 1..4")
    month: int = Field(description="Month of year 1..12")
    iso_week: int = Field(description="ISO week number")
    day_of_week: int = Field(description="ISO day of week, 1 = Monday")


class DimDfu(LakecastModel):
    dfu_id: str = Field(description="Demand forecasting unit key = item_id|location_id")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    category: str | None = Field(None, description="Current item category")
    brand: str | None = Field(None, description="Current item brand")
    supplier: str | None = Field(None, description="Current item supplier")
    region: str | None = Field(None, description="Current location region")
    abc_class: str = Field(description="A/B/C by cumulative share of the last 12 months' units (80/15/5%)")
    xyz_class: str = Field(description="X/Y/Z by coefficient of variation of monthly units (<0.5, <1.0, else)")
    execution_lag: int = Field(description="Lag (months) that matters for execution: ceil(lead_time_days/30)-1 in 0..4")
    first_month: dt.date = Field(description="First month with sales")
    last_month: dt.date = Field(description="Last month with sales")
    n_months: int = Field(description="Months from first_month to the last month of data, inclusive")
    qty_12m: float = Field(description="Units sold in the last 12 months of data")
    cluster_id: int | None = Field(None, description="Current demand-pattern cluster (set by the forecasting job)")
    cluster_label: str | None = Field(None, description="Human-readable cluster label")


class FactSalesMonthly(LakecastModel):
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    month_start: dt.date = Field(description="Month (first day)")
    qty: float = Field(ge=0, description="Units sold in the month (0 for months without sales after the first sale)")
    revenue: float = Field(description="Currency: sum of qty x unit_price")
    n_lines: int = Field(ge=0, description="Number of sales lines")
    promo_qty: float = Field(ge=0, description="Units sold on promotion")
    avg_price: float | None = Field(None, description="Revenue / qty (currency per unit); null when qty is 0")


class FactExternalForecastMonthly(LakecastModel):
    dfu_id: str = Field(description="DFU key")
    item_id: str = Field(description="Item key")
    location_id: str = Field(description="Location key")
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the legacy forecast")
    target_month: dt.date = Field(description="Month forecast = fcst_origin + lag + 1")
    lag: int = Field(ge=0, le=4, description="Lag 0..4 (lakecast/lag.py)")
    fcst_qty: float = Field(ge=0, description="Forecast units")


class FactPromoPlan(LakecastModel):
    """Every version of the promotion plan. What the plan said at day d: the rows with published_at <= d,
    then the latest per (item_id, promo_month); a latest row with status cancelled means no promotion."""

    plan_id: str = Field(description="Promotion plan id; a plan is one item x promo_month, kept over its versions")
    item_id: str = Field(description="Item key")
    promo_month: dt.date = Field(description="Month the promotion runs (month start)")
    discount_pct: float = Field(ge=0, le=100, description="Planned discount off the list price, in percent 0..100")
    status: str = Field(description="planned or cancelled")
    published_at: dt.date = Field(description="Day this version was published (as-of key: published_at <= d)")


class AggLocWeek(LakecastModel):
    location_id: str = Field(description="Location key")
    week_start: dt.date = Field(description="Monday of the ISO week")
    qty: float = Field(description="Units")
    revenue: float = Field(description="Currency")
    n_lines: int = Field(description="Sales lines")
    n_items: int = Field(description="Distinct items sold")


class AggLocItemWeek(LakecastModel):
    location_id: str = Field(description="Location key")
    item_id: str = Field(description="Item key")
    week_start: dt.date = Field(description="Monday of the ISO week")
    qty: float = Field(description="Units")
    revenue: float = Field(description="Currency")
    n_lines: int = Field(description="Sales lines")


class AggLocCustomerWeek(LakecastModel):
    location_id: str = Field(description="Location key")
    customer_id: str = Field(description="Customer key")
    week_start: dt.date = Field(description="Monday of the ISO week")
    qty: float = Field(description="Units")
    revenue: float = Field(description="Currency")
    n_lines: int = Field(description="Sales lines")


class GateResult(LakecastModel):
    run_id: str = Field(description="Pipeline run that evaluated the gate")
    table_name: str = Field(description="Gold table checked")
    gate: str = Field(description="not_null | unique_key | referential_integrity | row_count_drift")
    column_name: str | None = Field(None, description="Column(s) the gate checked")
    passed: bool = Field(description="True if the gate passed")
    observed: float | None = Field(None, description="Measured value (violations, or drift fraction)")
    threshold: float | None = Field(None, description="Allowed value")
    detail: str = Field(description="Plain-words outcome")
    checked_at: dt.datetime = Field(description="UTC time of the check")


GOLD_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("gold", "dim_item", DimItem, "one row per item per attribute period (SCD2)",
                  primary_key=("item_id", "valid_from"), sort_by=("item_id",), served=True),
        TableSpec("gold", "dim_location", DimLocation, "one row per location per attribute period (SCD2)",
                  primary_key=("location_id", "valid_from"), sort_by=("location_id",), served=True),
        TableSpec("gold", "dim_customer", DimCustomer, "one row per customer per attribute period (SCD2)",
                  primary_key=("customer_id", "valid_from"), sort_by=("customer_id",), served=True),
        TableSpec("gold", "dim_calendar", DimCalendar, "one row per calendar day",
                  primary_key=("date",), sort_by=("date",), served=True),
        TableSpec("gold", "dim_dfu", DimDfu, "one row per DFU (item x location with sales)",
                  primary_key=("dfu_id",), sort_by=("dfu_id",), served=True,
                  references={"item_id": "gold.dim_item.item_id",
                              "location_id": "gold.dim_location.location_id"}),
        TableSpec("gold", "fact_sales_monthly", FactSalesMonthly, "one row per DFU per month from its first sale",
                  primary_key=("dfu_id", "month_start"), partition_by=("years(month_start)",),
                  sort_by=("dfu_id", "month_start"), served=True,
                  references={"dfu_id": "gold.dim_dfu.dfu_id", "month_start": "gold.dim_calendar.date"}),
        TableSpec("gold", "fact_external_forecast_monthly", FactExternalForecastMonthly,
                  "one row per DFU x target month x lag (legacy forecast)",
                  primary_key=("dfu_id", "target_month", "lag"), partition_by=("years(target_month)",),
                  sort_by=("dfu_id", "target_month", "lag"), served=True,
                  references={"dfu_id": "gold.dim_dfu.dfu_id"}),
        TableSpec("gold", "fact_promo_plan", FactPromoPlan,
                  "one row per promotion plan version (plan_id x published_at); every version kept for as-of reads",
                  primary_key=("plan_id", "published_at"), partition_by=("years(promo_month)",),
                  sort_by=("item_id", "promo_month", "published_at"), served=True,
                  references={"item_id": "gold.dim_item.item_id"}),
        TableSpec("gold", "agg_loc_week", AggLocWeek, "one row per location per ISO week with sales",
                  primary_key=("location_id", "week_start"), partition_by=("years(week_start)",),
                  sort_by=("location_id", "week_start"), served=True,
                  references={"location_id": "gold.dim_location.location_id"}),
        TableSpec("gold", "agg_loc_item_week", AggLocItemWeek, "one row per location x item per ISO week with sales",
                  primary_key=("location_id", "item_id", "week_start"), partition_by=("years(week_start)",),
                  sort_by=("location_id", "item_id", "week_start"), served=True,
                  references={"item_id": "gold.dim_item.item_id"}),
        TableSpec("gold", "agg_loc_customer_week", AggLocCustomerWeek,
                  "one row per location x customer per ISO week with customer sales",
                  primary_key=("location_id", "customer_id", "week_start"), partition_by=("years(week_start)",),
                  sort_by=("location_id", "customer_id", "week_start"), served=True,
                  references={"customer_id": "gold.dim_customer.customer_id"}),
    )
}

GATE_RESULTS = TableSpec("ops", "gate_results", GateResult, "one row per gate per table per run",
                         primary_key=("run_id", "table_name", "gate", "column_name"))
