"""Silver contracts: typed, validated, deduplicated rows; SCD type 2 master history; the quarantine."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from contracts.base import LakecastModel, TableSpec

OPEN_END = dt.date(9999, 12, 31)  # valid_to of a current SCD2 row (half-open interval [valid_from, valid_to))

# Longest text silver accepts per kind of column (longer values are quarantined as `too_long`; see
# spark_jobs/silver_rules.length_rules). Text columns without a limit get quality.plausibility.default_max_length.
ID_CHARS = 64
NAME_CHARS = 200
ATTRIBUTE_CHARS = 100
CODE_CHARS = 20


class Lineage(LakecastModel):
    batch_id: str = Field(alias="_batch_id", description="Landing batch the row came from")
    source_file: str = Field(alias="_source_file", description="Landing file the row came from")
    row_number: int = Field(alias="_row_number", description="1-based data row number in that file")


class SilverSalesLine(LakecastModel):
    line_id: str = Field(max_length=ID_CHARS, description="Sales order line id, unique across all batches")
    sale_date: dt.date = Field(description="Day the units were sold")
    item_id: str = Field(max_length=ID_CHARS, description="Item key (exists in silver.item)")
    location_id: str = Field(max_length=ID_CHARS, description="Location key (exists in silver.location)")
    customer_id: str | None = Field(
        None, max_length=ID_CHARS, description="Customer key; null for anonymous store sales"
    )
    qty: float = Field(description="Units sold (>= 0)")
    unit_price: float | None = Field(None, description="Currency per unit")
    promo_flag: bool = Field(description="Sold on promotion")
    batch_id: str = Field(alias="_batch_id", description="Landing batch")
    source_file: str = Field(alias="_source_file", description="Landing file")
    row_number: int = Field(alias="_row_number", description="Data row number in the landing file")


class ScdColumns(LakecastModel):
    valid_from: dt.date = Field(description="First day these attributes hold (inclusive)")
    valid_to: dt.date = Field(description="Day these attributes stop holding (exclusive); 9999-12-31 if current")
    is_current: bool = Field(description="True for the row valid today")


class SilverItem(LakecastModel):
    item_id: str = Field(max_length=ID_CHARS, description="Item key")
    item_name: str = Field(max_length=NAME_CHARS, description="Item description")
    brand: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Brand")
    category: str = Field(max_length=ATTRIBUTE_CHARS, description="Category (drives seasonality)")
    subcategory: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Subcategory")
    supplier: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Supplier")
    uom: str | None = Field(None, max_length=CODE_CHARS, description="Unit of measure")
    unit_cost: float | None = Field(None, description="Currency per unit")
    lead_time_days: int | None = Field(None, description="Replenishment lead time in days")
    launch_date: dt.date | None = Field(None, description="First day the item is sold")
    discontinue_date: dt.date | None = Field(None, description="Last day the item is sold, if discontinued")
    valid_from: dt.date = Field(description="First day these attributes hold (inclusive)")
    valid_to: dt.date = Field(description="Day these attributes stop holding (exclusive); 9999-12-31 if current")
    is_current: bool = Field(description="True for the row valid today")


class SilverLocation(LakecastModel):
    location_id: str = Field(max_length=ID_CHARS, description="Location key")
    location_name: str = Field(max_length=NAME_CHARS, description="Location name")
    location_type: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="store or dc")
    region: str = Field(max_length=ATTRIBUTE_CHARS, description="Sales region")
    country: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Country")
    valid_from: dt.date = Field(description="First day these attributes hold (inclusive)")
    valid_to: dt.date = Field(description="Day these attributes stop holding (exclusive); 9999-12-31 if current")
    is_current: bool = Field(description="True for the row valid today")


class SilverCustomer(LakecastModel):
    customer_id: str = Field(max_length=ID_CHARS, description="Customer key")
    customer_name: str = Field(max_length=NAME_CHARS, description="Customer name")
    segment: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Customer segment")
    region: str | None = Field(None, max_length=ATTRIBUTE_CHARS, description="Customer region")
    valid_from: dt.date = Field(description="First day these attributes hold (inclusive)")
    valid_to: dt.date = Field(description="Day these attributes stop holding (exclusive); 9999-12-31 if current")
    is_current: bool = Field(description="True for the row valid today")


class SilverExternalForecast(LakecastModel):
    item_id: str = Field(max_length=ID_CHARS, description="Item key")
    location_id: str = Field(max_length=ID_CHARS, description="Location key")
    fcst_origin: dt.date = Field(description="Last month of actuals visible to the forecast (month start)")
    target_month: dt.date = Field(description="Month forecast (month start) = fcst_origin + lag + 1")
    lag: int = Field(description="Forecast lag 0..4 (see lakecast/lag.py)")
    fcst_qty: float = Field(description="Forecast units")
    batch_id: str = Field(alias="_batch_id", description="Landing batch")


class SilverPromoPlan(LakecastModel):
    plan_id: str = Field(description="Promotion plan id; a plan is one item x promo_month, kept over its versions")
    item_id: str = Field(description="Item key (exists in silver.item)")
    promo_month: dt.date = Field(description="Month the promotion runs (month start)")
    discount_pct: float = Field(ge=0, le=100, description="Planned discount off the list price, in percent 0..100")
    status: str = Field(description="planned or cancelled (a cancelled version withdraws the plan)")
    published_at: dt.date = Field(description="Day this version of the plan was published (before promo_month)")
    batch_id: str = Field(alias="_batch_id", description="Landing batch")
    source_file: str = Field(alias="_source_file", description="Landing file")
    row_number: int = Field(alias="_row_number", description="Data row number in the landing file")


class Quarantine(LakecastModel):
    source_table: str = Field(description="Bronze table the row came from (e.g. bronze.sales_lines)")
    batch_id: str = Field(description="Landing batch")
    source_file: str = Field(description="Landing file")
    row_number: int = Field(description="Data row number in the landing file")
    rule: str = Field(description="First validation rule the row failed (e.g. bad_date, duplicate_line)")
    detail: str | None = Field(None, description="Human-readable explanation with the offending value")
    raw_payload: str = Field(description="The row as landed, as a JSON object of strings")


SILVER_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "silver", "sales_lines", SilverSalesLine,
            grain="one row per valid, first-seen sales order line",
            primary_key=("line_id",),
            partition_by=("years(sale_date)",),
            sort_by=("item_id", "location_id", "sale_date"),
            references={"item_id": "silver.item.item_id", "location_id": "silver.location.location_id"},
        ),
        TableSpec(
            "silver", "item", SilverItem,
            grain="one row per item per period of unchanged attributes (SCD type 2)",
            primary_key=("item_id", "valid_from"),
        ),
        TableSpec(
            "silver", "location", SilverLocation,
            grain="one row per location per period of unchanged attributes (SCD type 2)",
            primary_key=("location_id", "valid_from"),
        ),
        TableSpec(
            "silver", "customer", SilverCustomer,
            grain="one row per customer per period of unchanged attributes (SCD type 2)",
            primary_key=("customer_id", "valid_from"),
        ),
        TableSpec(
            "silver", "external_forecast", SilverExternalForecast,
            grain="one row per item x location x target_month x lag (latest delivery wins)",
            primary_key=("item_id", "location_id", "target_month", "lag"),
            partition_by=("years(target_month)",),
        ),
        TableSpec(
            "silver", "promo_plan", SilverPromoPlan,
            grain="one row per valid plan version (plan_id x published_at; repeated versions quarantined)",
            primary_key=("plan_id", "published_at"),
            partition_by=("years(promo_month)",),
            sort_by=("item_id", "promo_month", "published_at"),
            references={"item_id": "silver.item.item_id"},
        ),
        TableSpec(
            "silver", "quarantine", Quarantine,
            grain="one row per rejected landing row",
            primary_key=("source_table", "batch_id", "source_file", "row_number"),
            partition_by=("source_table",),
            description="Every row silver refused, with the rule it failed and its raw payload.",
        ),
    )
}


RECONCILIATION_EVENTS = ("received", "redelivered", "superseded_by", "revalidated", "withdrawn")


class BatchReconciliation(LakecastModel):
    source_table: str = Field(description="Bronze table (e.g. bronze.sales_lines)")
    batch_id: str = Field(description="Landing batch")
    seq: int = Field(description="1, 2, 3, ... per (source_table, batch_id): the batch's events in order; the "
                     "highest is its current accounting")
    event: str = Field(description="received (first silver run over the batch), redelivered (its content was "
                       "landed again, e.g. by `lakecast batch replay`), superseded_by (rows of this batch now lose "
                       "to a later delivery of other_batch), revalidated (the batch's numbers moved for another "
                       "reason, e.g. a master or a competing batch arrived or left), withdrawn (its rows left bronze)")
    other_batch: str | None = Field(None, description="superseded_by: the later batch whose rows win; else null")
    rows: int = Field(description="received/redelivered: rows landed; superseded_by: rows of this batch that "
                      "other_batch supersedes now (0 = none any more); revalidated: change in rows_accepted; "
                      "withdrawn: rows removed from bronze")
    rows_landed: int = Field(description="Rows in bronze for the batch after the event")
    rows_accepted: int = Field(description="Rows that passed validation after the event (masters: before SCD2 "
                               "collapsing); on a received row superseded rows still count as accepted")
    rows_quarantined: int = Field(description="Rows in silver.quarantine after the event; landed = accepted + "
                                  "quarantined on every row")
    ingested_at: dt.datetime | None = Field(None, description="When bronze landed the content this row describes "
                                            "(null once withdrawn)")
    recorded_at: dt.datetime = Field(description="UTC time of the silver run that recorded the event")


BATCH_RECONCILIATION = TableSpec(
    "ops", "batch_reconciliation", BatchReconciliation,
    grain="one row per event of a landing batch of a bronze table (append-only history)",
    primary_key=("source_table", "batch_id", "seq"),
    description="Row accounting per batch, appended by the silver job: a row is never rewritten; a later "
    "delivery that supersedes rows, a withdrawal or a re-validation adds a row. The row with the highest seq "
    "is the batch's current accounting; landed = accepted + quarantined on every row.",
)
