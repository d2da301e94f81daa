"""Master-data snapshots (items, locations, customers) with realistic attribute churn for SCD type 2.

Snapshot 0 is taken at the start of history; two later snapshots (at 1/3 and 2/3 of the history) each
change a share of attributes: item brand / category / supplier (with a new unit cost) / lead time,
location region (within its country), customer segment. Discontinue dates become visible about six
months ahead. ``effective_date`` is the snapshot date, which is also the batch id.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from contracts.landing import CUSTOMER_MASTER, ITEM_MASTER, LOCATION_MASTER
from lakecast.generate import catalog as cat
from lakecast.generate.demand import World
from lakecast.generate.entities import rng_for
from lakecast.generate.io import write_csv_rows

STREAM_SNAPSHOT = 30
# share of rows whose attribute changes in each later snapshot (at least one row each)
CHANGE_RATES = {
    "brand": 0.03,
    "category": 0.02,
    "supplier": 0.05,
    "lead_time_days": 0.08,
    "region": 0.05,
    "segment": 0.08,
}
DISCONTINUE_NOTICE_DAYS = 180


def snapshot_months(n_months: int) -> list[int]:
    return [0, n_months // 3, (2 * n_months) // 3]


def _pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    k = min(n, max(1, int(round(rate * n))))
    return np.sort(rng.choice(n, size=k, replace=False))


def _fmt_date(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def _fmt_date_until(d: dt.date | None, until: dt.date) -> str:
    """``d`` as ISO text if it is known by ``until`` (a discontinuation announced in time), else ""."""
    return d.isoformat() if d is not None and d <= until else ""


def build_snapshots(world: World) -> list[dict]:
    """States of the three masters at each snapshot: list of {date, items, locations, customers} dicts."""
    it, lo, cu = world.items, world.locations, world.customers
    n_cat = len(cat.CATEGORIES)
    state = {
        "brand": it.brand.astype(object).copy(),
        "category": it.category.copy(),
        "subcategory": it.subcategory.astype(object).copy(),
        "supplier": it.supplier.astype(object).copy(),
        "unit_cost": it.unit_cost.copy(),
        "lead_time_days": it.lead_time_days.copy(),
        "region": lo.region.astype(object).copy(),
        "segment": cu.segment.astype(object).copy(),
    }
    out = []
    for k, t in enumerate(snapshot_months(world.n_months)):
        if k > 0:
            rng = rng_for(world.seed, STREAM_SNAPSHOT, k)
            n = len(it.item_id)
            for i in _pick(rng, n, CHANGE_RATES["brand"]):
                pool = sorted(
                    set(state["brand"][state["category"] == state["category"][i]]) - {state["brand"][i]}
                )
                pool = pool or sorted(set(state["brand"]) - {state["brand"][i]})
                state["brand"][i] = pool[rng.integers(len(pool))]
            for i in _pick(rng, n, CHANGE_RATES["category"]):
                c = (state["category"][i] + rng.integers(1, n_cat)) % n_cat
                state["category"][i] = c
                subs = cat.CATEGORIES[c].subcategories
                state["subcategory"][i] = subs[rng.integers(len(subs))]
            for i in _pick(rng, n, CHANGE_RATES["supplier"]):
                others = [s for s in cat.SUPPLIERS if s != state["supplier"][i]]
                state["supplier"][i] = others[rng.integers(len(others))]
                state["unit_cost"][i] = round(state["unit_cost"][i] * rng.uniform(0.9, 1.1), 2)
            for i in _pick(rng, n, CHANGE_RATES["lead_time_days"]):
                others = cat.LEAD_TIMES[cat.LEAD_TIMES != state["lead_time_days"][i]]
                state["lead_time_days"][i] = others[rng.integers(len(others))]
            for i in _pick(rng, len(lo.location_id), CHANGE_RATES["region"]):
                others = [r for r in cat.REGIONS[lo.country[i]] if r != state["region"][i]]
                state["region"][i] = others[rng.integers(len(others))]
            for i in _pick(rng, len(cu.customer_id), CHANGE_RATES["segment"]):
                others = [s for s in cat.SEGMENTS if s != state["segment"][i]]
                state["segment"][i] = others[rng.integers(len(others))]
        date = world.month(t)
        notice = date + dt.timedelta(days=DISCONTINUE_NOTICE_DAYS)
        items = [
            (
                it.item_id[i],
                it.name[i],
                state["brand"][i],
                cat.CATEGORIES[state["category"][i]].name,
                state["subcategory"][i],
                state["supplier"][i],
                it.uom[i],
                f"{state['unit_cost'][i]:.2f}",
                int(state["lead_time_days"][i]),
                _fmt_date(it.launch_date[i]),
                _fmt_date_until(it.discontinue_date[i], notice),
                date.isoformat(),
            )
            for i in range(len(it.item_id))
        ]
        # customers follow their serving DC's current region
        cust_region = [state["region"][h] if h >= 0 else "" for h in cu.home_dc]
        locations = [
            (
                lo.location_id[i],
                lo.name[i],
                "DC" if lo.is_dc[i] else "STORE",
                state["region"][i],
                lo.country[i],
                date.isoformat(),
            )
            for i in range(len(lo.location_id))
        ]
        customers = [
            (cu.customer_id[i], cu.name[i], state["segment"][i], cust_region[i], date.isoformat())
            for i in range(len(cu.customer_id))
        ]
        out.append({"date": date, "items": items, "locations": locations, "customers": customers})
    return out


MASTER_SOURCES = (
    ("item_master", ITEM_MASTER, "items"),
    ("location_master", LOCATION_MASTER, "locations"),
    ("customer_master", CUSTOMER_MASTER, "customers"),
)


def write_masters(world: World, out_dir: Path, progress=None) -> dict:
    """Write every master snapshot; return {source: {batch_id: manifest entry}}."""
    snaps = build_snapshots(world)
    result: dict[str, dict] = {}
    for source, contract, key in MASTER_SOURCES:
        batches = {}
        for k, snap in enumerate(snaps):
            b = snap["date"].isoformat()
            rel = Path(source) / b / f"{source}_{b}.csv"
            rows, digest = write_csv_rows(contract.columns, snap[key], out_dir / rel)
            batches[b] = {
                "batch_id": b,
                "format": "csv",
                "files": [
                    {
                        "path": rel.as_posix(),
                        "rows": rows,
                        "bytes": (out_dir / rel).stat().st_size,
                        "sha256": digest,
                    }
                ],
                "rows": rows,
            }
            if progress:
                progress(source, k + 1, len(snaps))
        result[source] = batches
    return result
