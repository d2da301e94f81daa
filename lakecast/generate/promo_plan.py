"""The promotion plan: the planner's published plan versions, and the promotions that really happen.

The plan is drawn before demand (``demand.build_world`` calls :func:`draw_plan`), so that the sales agree
with it: a promotion shows in the sales lines exactly when the plan's last word before the month is
"planned" (or the promotion is one of the few unplanned ones). Per intended item-month promotion (the
``STREAM_PROMO`` draw of demand.py, where the item sells at a store with lifecycle > 0.3):

- ``unplanned`` (5%): happens, but no plan row is ever published;
- ``cancelled`` (10%): a planned row, then a cancelled row before the month; no promotion happens;
- ``moved`` (6%): a planned row, then (same day) a cancelled row and a new plan (new plan_id) 1-2 months
  later; the promotion happens in the new month (a move that finds no free month stays ``planned``);
- ``revised`` (10%): a planned row, then a planned row with the discount changed by 5 points;
- ``planned`` (the rest): one planned row.

The first row is published 1-4 months before the promo month (day 1-21); a later version between the
day after and the last day before the promo month. Rows published after the last day of the history are
not delivered. The discount is the item's usual promo discount, +/- 5 points for a quarter of the events
each (5..40%); the uplift grows with it: ``1 + (item uplift - 1) * sqrt(discount / usual discount)``,
within 1.1..3.2. One CSV batch per calendar year of ``published_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from contracts.landing import PROMO_PLAN
from lakecast.generate import messy
from lakecast.generate.entities import Items, rng_for
from lakecast.generate.io import write_csv_strings
from lakecast.lag import add_months

if TYPE_CHECKING:
    from lakecast.generate.demand import World

STREAM_PLAN, STREAM_PLAN_MESSY = 13, 50
PLANNED, REVISED, CANCELLED, MOVED, UNPLANNED = "planned", "revised", "cancelled", "moved", "unplanned"
FATE_SHARES = ((UNPLANNED, 0.05), (CANCELLED, 0.10), (MOVED, 0.06), (REVISED, 0.10))  # rest: PLANNED
LEAD_MONTHS, LEAD_WEIGHTS = np.array([1, 2, 3, 4]), np.array([0.2, 0.35, 0.3, 0.15])
MAX_PUBLISH_DAY = 21  # first versions are published on day 1..21 of their month
DISCOUNT_MIN, DISCOUNT_MAX = 5, 40  # percent
UPLIFT_MIN, UPLIFT_MAX = 1.1, 3.2


@dataclass
class PromoPlan:
    """The drawn plan: per-event fates, the delivered plan rows, and the item x month promotions that happen."""

    promo: np.ndarray  # (n_items, H) bool: the item is on promotion in the month (at its eligible stores)
    discount: np.ndarray  # (n_items, H) float64: the discount (fraction) of that promotion, 0 when none
    uplift: np.ndarray  # (n_items, H) float64: demand multiplier of that promotion, 1 when none
    event_item: np.ndarray  # (n_events,) int: every intended promotion ...
    event_month: np.ndarray  # ... its month index
    event_fate: np.ndarray  # ... planned / revised / cancelled / moved / unplanned
    rows: dict[str, np.ndarray]  # delivered rows: plan_id, item, month, discount_pct, status, published (ordinal)


def _month_ordinals(start: dt.date, lo: int, hi: int) -> np.ndarray:
    """Ordinal of the first day of months lo..hi-1 (relative to start), indexable as out[t - lo]."""
    return np.array([add_months(start, t).toordinal() for t in range(lo, hi)], dtype=np.int64)


def draw_plan(
    items: Items, intended: np.ndarray, eligible: np.ndarray, seed: int, start: dt.date, n_months: int
) -> PromoPlan:
    """Draw every intended promotion's fate, lead, discount and plan versions; return the plan and the truth."""
    rng = rng_for(seed, STREAM_PLAN)
    n_items, H = intended.shape
    ev_i, ev_t = np.nonzero(intended & eligible)  # row-major: by item, then month
    n = len(ev_i)
    # every draw has one value per event whatever its fate, so one event's fate never shifts another's
    u = rng.random(n)
    lead = rng.choice(LEAD_MONTHS, size=n, p=LEAD_WEIGHTS)
    pub_day = rng.integers(0, MAX_PUBLISH_DAY, size=n)
    change_u = rng.random(n)
    step = rng.choice([-1, 0, 1], size=n, p=[0.25, 0.5, 0.25])
    revise = rng.choice([-1, 1], size=n)
    move_by = rng.integers(1, 3, size=n)

    fate = np.full(n, PLANNED, dtype=object)
    edge = 0.0
    for name, share in FATE_SHARES:
        fate[(u >= edge) & (u < edge + share)] = name
        edge += share

    usual = np.rint(items.promo_discount * 100).astype(np.int64)
    d0 = np.clip(usual[ev_i] + 5 * step, DISCOUNT_MIN, DISCOUNT_MAX)
    d1 = d0 + 5 * revise
    d1 = np.where((d1 < DISCOUNT_MIN) | (d1 > DISCOUNT_MAX), d0 - 5 * revise, d1)

    # a move needs a free month: eligible, not intended for the item, not already another move's target
    target = np.full(n, -1, dtype=np.int64)
    taken = intended.copy()
    for k in np.flatnonzero(fate == MOVED):
        t2 = ev_t[k] + move_by[k]
        if t2 < H and eligible[ev_i[k], t2] and not taken[ev_i[k], t2]:
            target[k] = t2
            taken[ev_i[k], t2] = True
        else:
            fate[k] = PLANNED

    final = np.where(fate == REVISED, d1, d0)
    happens = (fate != CANCELLED) & (fate != MOVED)
    promo = np.zeros((n_items, H), dtype=bool)
    discount = np.zeros((n_items, H))
    promo[ev_i[happens], ev_t[happens]] = True
    discount[ev_i[happens], ev_t[happens]] = final[happens] / 100.0
    moved = fate == MOVED
    promo[ev_i[moved], target[moved]] = True
    discount[ev_i[moved], target[moved]] = final[moved] / 100.0
    ratio = np.divide(discount, items.promo_discount[:, None])
    uplift = np.where(
        promo,
        np.clip(1.0 + (items.promo_uplift[:, None] - 1.0) * np.sqrt(ratio), UPLIFT_MIN, UPLIFT_MAX),
        1.0,
    )

    # plan versions: (plan key, item, month, discount_pct, status, published ordinal); key 2k / 2k+1 = moved-to
    first_lo = -int(LEAD_MONTHS.max())
    mstart = _month_ordinals(start, first_lo, H + 1)
    pub = mstart[ev_t - lead - first_lo] + pub_day
    month_start = mstart[ev_t - first_lo]
    change = pub + 1 + np.floor(change_u * (month_start - pub - 1)).astype(np.int64)
    parts = []

    def add(sel: np.ndarray, key_add: int, month: np.ndarray, disc: np.ndarray, status: str, when: np.ndarray):
        k = np.flatnonzero(sel)
        parts.append((2 * k + key_add, ev_i[k], month[k], disc[k], np.full(len(k), status, dtype=object), when[k]))

    planned_at_all = fate != UNPLANNED
    add(planned_at_all, 0, ev_t, d0, "planned", pub)
    add(fate == REVISED, 0, ev_t, d1, "planned", change)
    add((fate == CANCELLED) | moved, 0, ev_t, d0, "cancelled", change)
    add(moved, 1, target, d0, "planned", change)
    key, item, month, disc, status, when = (np.concatenate(c) for c in zip(*parts, strict=True))

    history_end = add_months(start, n_months).toordinal() - 1
    keep = when <= history_end
    key, item, month, disc, status, when = (a[keep] for a in (key, item, month, disc, status, when))
    # plan ids numbered by first publication, then item and promo month
    first_pub: dict[int, tuple[int, int, int]] = {}
    for k, w, i, m in zip(key, when, item, month, strict=True):
        if k not in first_pub or w < first_pub[k][0]:
            first_pub[k] = (int(w), int(i), int(m))
    ordered = sorted(first_pub, key=lambda k: first_pub[k])
    number = {k: j + 1 for j, k in enumerate(ordered)}
    plan_no = np.array([number[k] for k in key], dtype=np.int64)
    order = np.lexsort((plan_no, when))
    rows = {
        "plan_no": plan_no[order],
        "item": item[order],
        "month": month[order],
        "discount_pct": disc[order],
        "status": status[order].astype(str),
        "published": when[order],
    }
    return PromoPlan(promo, discount, uplift, ev_i, ev_t, fate.astype(str), rows)


# ---------------------------------------------------------------- landing files
def _batch_of(published: np.ndarray) -> np.ndarray:
    return np.array([dt.date.fromordinal(int(p)).year for p in published])


def clean_table(world: World) -> pa.Table:
    """Every delivered plan row as landing strings (columns of contracts.landing.PROMO_PLAN)."""
    r = world.promo_plan.rows
    return pa.table(
        {
            "plan_id": [f"PP{p:06d}" for p in r["plan_no"]],
            "item_id": world.items.item_id[r["item"]].tolist(),
            "promo_month": [f"{world.month(int(t)):%Y-%m}" for t in r["month"]],
            "discount_pct": [str(int(d)) for d in r["discount_pct"]],
            "status": r["status"].tolist(),
            "published_at": [dt.date.fromordinal(int(p)).isoformat() for p in r["published"]],
        }
    )


def write_promo_plan(world: World, out_dir: Path, messy_fraction: float, progress=None) -> dict:
    """Write one CSV batch per publish year (clean rows, then that batch's messy rows); return manifest entries."""
    clean = clean_table(world)
    batch = _batch_of(world.promo_plan.rows["published"])
    rng = rng_for(world.seed, STREAM_PLAN_MESSY)
    counts = messy.allocate_at_least_one(clean.num_rows, messy_fraction, messy.PROMO_PLAN_KINDS, rng)
    bad, bad_kind, bad_src = messy.promo_plan_rows(clean, counts, rng)
    bad_batch = batch[bad_src]
    result = {}
    years = sorted(set(batch.tolist()))
    for k, year in enumerate(years):
        mine = np.flatnonzero(batch == year)
        extra = np.flatnonzero(bad_batch == year)
        table = pa.concat_tables([clean.take(pa.array(mine)), bad.take(pa.array(extra, type=pa.int64()))])
        b = str(year)
        rel = Path(PROMO_PLAN.name) / b / f"{PROMO_PLAN.name}_{b}.csv"
        digest = write_csv_strings(table, out_dir / rel)
        kinds = {kind: int((bad_kind[extra] == kind).sum()) for kind in messy.PROMO_PLAN_KINDS}
        result[b] = {
            "batch_id": b,
            "format": "csv",
            "files": [
                {
                    "path": rel.as_posix(),
                    "rows": table.num_rows,
                    "bytes": (out_dir / rel).stat().st_size,
                    "sha256": digest,
                }
            ],
            "rows": table.num_rows,
            "clean_rows": len(mine),
            "messy": kinds,
            "messy_total": len(extra),
        }
        if progress:
            progress(PROMO_PLAN.name, k + 1, len(years))
    return result


def batches(world: World) -> list[str]:
    return [str(y) for y in sorted(set(_batch_of(world.promo_plan.rows["published"]).tolist()))]
