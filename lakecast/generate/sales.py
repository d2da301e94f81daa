"""Sales-line batches: split each DFU's monthly units into dated lines, price them, add mess, write.

One call handles one month, so memory is bounded by the largest month, whatever the scale.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from contracts.landing import SALES_LINES
from lakecast.generate import catalog as cat
from lakecast.generate import messy
from lakecast.generate.demand import World
from lakecast.generate.entities import rng_for
from lakecast.generate.io import cents_to_str, write_csv_strings, write_parquet

STREAM_LINES, STREAM_MESSY = 20, 21
PROMO_LINE_SHARE = 0.8  # in a promo month, this share of a DFU's lines carry the promo price and flag

SALES_SCHEMA = pa.schema(
    [
        ("line_id", pa.string()),
        ("sale_date", pa.date32()),
        ("item_id", pa.string()),
        ("location_id", pa.string()),
        ("customer_id", pa.string()),
        ("qty", pa.float64()),
        ("unit_price", pa.float64()),
        ("promo_flag", pa.int32()),
    ]
)
EPOCH = dt.date(1970, 1, 1)


def batch_id(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def is_parquet_month(world: World, t: int) -> bool:
    """The most recent ``parquet_months`` months come from the new source system, as Parquet."""
    return t >= world.n_months - world.spec.parquet_months


def batch_path(world: World, t: int) -> Path:
    b = batch_id(world.month(t))
    ext = "parquet" if is_parquet_month(world, t) else "csv"
    return Path(SALES_LINES.name) / b / f"{SALES_LINES.name}_{b}.{ext}"


def _day_cdf(month: dt.date, weekday_weights: np.ndarray) -> np.ndarray:
    n_days = calendar.monthrange(month.year, month.month)[1]
    wd = np.array([(month.weekday() + d) % 7 for d in range(n_days)])
    w = weekday_weights[wd]
    return np.cumsum(w / w.sum())


def _split(qty: np.ndarray, lines: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split each qty[g] into lines[g] positive integer parts summing exactly to qty[g]."""
    total = int(lines.sum())
    starts = np.cumsum(lines) - lines
    group = np.repeat(np.arange(len(lines)), lines)
    j = np.arange(total) - starts[group]  # position within group
    w = rng.gamma(1.5, size=total)
    wsum = np.bincount(group, weights=w, minlength=len(lines))
    extra = (qty - lines).astype(np.float64)
    part = np.floor(extra[group] * w / wsum[group])
    rem = (qty - lines) - np.bincount(group, weights=part, minlength=len(lines)).astype(np.int64)
    return (1 + part + (j < rem[group])).astype(np.int64)


def build_clean(world: World, t: int) -> tuple[pa.Table, dict]:
    """The clean lines of month t (typed), plus per-row helpers used when injecting mess."""
    month = world.month(t)
    rng = rng_for(world.seed, STREAM_LINES, t)
    d = world.dfus
    lines_t = world.lines[:, t]
    sel = np.flatnonzero(lines_t)
    n_lines = lines_t[sel]
    dfu = np.repeat(sel, n_lines)
    qty = _split(world.qty[sel, t].astype(np.int64), n_lines.astype(np.int64), rng)
    loc = d.location[dfu]
    item = d.item[dfu]
    is_dc = world.locations.is_dc[loc]
    n = len(dfu)

    # day of month with weekday effects: stores peak on Saturday, DCs ship on weekdays
    u = rng.random(n)
    day0 = np.where(
        is_dc,
        np.searchsorted(_day_cdf(month, cat.DC_WEEKDAY), u, side="right"),
        np.searchsorted(_day_cdf(month, cat.STORE_WEEKDAY), u, side="right"),
    )
    n_days = calendar.monthrange(month.year, month.month)[1]
    day0 = np.minimum(day0, n_days - 1)

    # customers: DC lines go to one of the customers that DC serves; store lines are anonymous
    cust = np.full(n, -1, dtype=np.int64)
    cu = world.customers
    for dc in np.flatnonzero(world.locations.is_dc):
        mine = np.flatnonzero(cu.home_dc == dc)
        rows = np.flatnonzero(loc == dc)
        if len(mine) and len(rows):
            p = cu.weight[mine] / cu.weight[mine].sum()
            cust[rows] = mine[rng.choice(len(mine), size=len(rows), p=p)]

    # price: list price, minus the plan's promo discount on promo lines, minus the customer's negotiated discount
    promo = world.promo[dfu, t] & (rng.random(n) < PROMO_LINE_SHARE)
    price = world.list_price(t)[dfu]
    price = price * np.where(promo, 1.0 - world.promo_plan.discount[item, t], 1.0)
    price = price * (1.0 - np.where(cust >= 0, cu.discount[np.maximum(cust, 0)], 0.0))
    cents = np.maximum(np.rint(price * 100), 1).astype(np.int64)

    # fixed row order: by day, location, item, then line position
    order = np.lexsort((np.arange(n), item, loc, day0))
    dfu, qty, loc, item, day0, cust, promo, cents, is_dc = (
        a[order] for a in (dfu, qty, loc, item, day0, cust, promo, cents, is_dc)
    )

    prefix = f"SL{month:%Y%m}-"
    seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 8, "0")
    line_id = pc.binary_join_element_wise(prefix, seq, "")
    epoch_day = (month - EPOCH).days
    ids_item = pa.array(world.items.item_id)
    ids_loc = pa.array(world.locations.location_id)
    ids_cust = pa.array(cu.customer_id)
    cust_col = ids_cust.take(pa.array(np.maximum(cust, 0)))
    cust_col = pc.if_else(pa.array(cust >= 0), cust_col, pa.scalar(None, pa.string()))
    table = pa.table(
        [
            line_id,
            pa.array((epoch_day + day0).astype(np.int32), pa.int32()).cast(pa.date32()),
            ids_item.take(pa.array(item)),
            ids_loc.take(pa.array(loc)),
            cust_col,
            pa.array(qty.astype(np.float64)),
            pa.array(cents / 100.0),
            pa.array(promo.astype(np.int32)),
        ],
        schema=SALES_SCHEMA,
    )
    helpers = {"day": day0 + 1, "has_customer": cust >= 0, "cents": cents, "qty": qty}
    return table, helpers


def _to_strings(table: pa.Table, helpers: dict) -> pa.Table:
    """CSV rendering of a clean typed batch: every column a string, empty for missing customer."""
    cols = [
        table.column("line_id").combine_chunks(),
        pc.cast(table.column("sale_date"), pa.string()).combine_chunks(),
        table.column("item_id").combine_chunks(),
        table.column("location_id").combine_chunks(),
        pc.fill_null(table.column("customer_id"), "").combine_chunks(),
        pc.cast(pa.array(helpers["qty"]), pa.string()),
        cents_to_str(helpers["cents"]),
        pc.cast(table.column("promo_flag"), pa.string()).combine_chunks(),
    ]
    return pa.table(cols, names=list(SALES_LINES.columns))


def write_sales_batch(world: World, t: int, out_dir: Path, messy_fraction: float) -> dict:
    """Write month t's batch under out_dir; return its manifest entry."""
    table, helpers = build_clean(world, t)
    parquet = is_parquet_month(world, t)
    mrng = rng_for(world.seed, STREAM_MESSY, t)
    kinds = messy.PARQUET_KINDS if parquet else messy.MESSY_KINDS
    counts = messy.allocate(table.num_rows, messy_fraction, kinds, mrng)
    month = world.month(t)
    if not parquet:
        table = _to_strings(table, helpers)
    table = messy.inject(
        table,
        counts,
        csv=not parquet,
        day=helpers["day"],
        month=month.month,
        year=month.year,
        has_customer=helpers["has_customer"],
        rng=mrng,
    )
    rel = batch_path(world, t)
    path = out_dir / rel
    digest = write_parquet(table, path) if parquet else write_csv_strings(table, path)
    return {
        "batch_id": batch_id(month),
        "format": "parquet" if parquet else "csv",
        "files": [
            {"path": rel.as_posix(), "rows": table.num_rows, "bytes": path.stat().st_size, "sha256": digest}
        ],
        "rows": table.num_rows,
        "clean_rows": table.num_rows - sum(counts.values()),
        "messy": counts,
        "messy_total": sum(counts.values()),
    }


def expected_rows(world: World, messy_fraction: float) -> list[int]:
    """Exact rows per monthly batch (clean lines + appended duplicates) without writing anything."""
    out = []
    for t in range(world.n_months):
        n = int(world.lines[:, t].sum())
        kinds = messy.PARQUET_KINDS if is_parquet_month(world, t) else messy.MESSY_KINDS
        counts = messy.allocate(n, messy_fraction, kinds, rng_for(world.seed, STREAM_MESSY, t))
        out.append(n + counts[messy.DUPLICATE_LINE])
    return out
