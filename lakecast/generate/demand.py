"""The monthly demand plan: one row per DFU, one column per month, built vectorised in numpy.

Demand = level (ABC) x category seasonality x trend x lifecycle (launch ramp / clearance) x promotion
(uplift, then a post-promo dip) x noise (XYZ) x rare outliers, drawn as Poisson counts; a share of slow
DFUs are intermittent (lumpy demand in a few months only). Promotions follow the promotion plan
(`promo_plan.draw_plan`): the plan is drawn first and the sales agree with it. The plan also fixes how
many sales lines each DFU-month is split into, so the exact line count of any scale is known without
writing a single line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from lakecast.generate import catalog as cat
from lakecast.generate.entities import (
    Customers,
    Dfus,
    Items,
    Locations,
    make_customers,
    make_dfus,
    make_items,
    make_locations,
    rng_for,
)
from lakecast.generate.promo_plan import PromoPlan, draw_plan
from lakecast.generate.scales import ScaleSpec
from lakecast.lag import MAX_LAG, add_months

STREAM_DEMAND, STREAM_PROMO, STREAM_PLAN_LINES = 10, 11, 12
XYZ_CV = {"X": (0.05, 0.15), "Y": (0.2, 0.4), "Z": (0.5, 0.9)}


@dataclass
class World:
    """Everything needed to write any batch: entities, DFUs and the demand plan."""

    spec: ScaleSpec
    seed: int
    start: dt.date  # first month of history
    end: dt.date  # last month of history (inclusive)
    items: Items
    locations: Locations
    customers: Customers
    dfus: Dfus
    signal: np.ndarray  # (n_dfus, n_months + MAX_LAG + 1) float32 expected demand without promo/noise
    promo: np.ndarray  # (n_dfus, n_months + MAX_LAG + 1) bool: the DFU's item is on promotion (stores)
    promo_effect: np.ndarray  # (n_dfus, n_months + MAX_LAG + 1) float32 uplift / post-promo dip
    promo_plan: PromoPlan  # the published plan versions and the item x month promotions (with discount)
    qty: np.ndarray  # (n_dfus, n_months) int32 units sold
    lines: np.ndarray  # (n_dfus, n_months) int32 sales lines the month's units are split into
    intermittent: np.ndarray  # (n_dfus,) bool
    xyz: np.ndarray  # (n_dfus,) str X/Y/Z
    cv: np.ndarray  # (n_dfus,) float noise coefficient of variation
    trend: np.ndarray  # (n_dfus,) float log-growth per year
    p_occ: np.ndarray  # (n_dfus,) float: an intermittent DFU's chance of demand in a month
    int_level: np.ndarray  # (n_dfus,) float: an intermittent DFU's mature Poisson level per lump unit

    @property
    def n_months(self) -> int:
        return self.spec.n_months

    def month(self, t: int) -> dt.date:
        return add_months(self.start, t)

    def list_price(self, t: int) -> np.ndarray:
        """(n_dfus,) list price in month t: item price with yearly steps, times the location's price level."""
        it = self.items
        a0 = self.start.year * 12 + self.start.month - 1
        steps = (a0 + t - (it.price_step_month - 1)) // 12 - (a0 - (it.price_step_month - 1)) // 12
        price = it.base_price * (1.0 + it.inflation) ** steps
        return price[self.dfus.item] * self.locations.price_factor[self.dfus.location]


def _lifecycle(items: Items, dfus: Dfus, horizon: int) -> np.ndarray:
    """(n_dfus, horizon) factor: 0 before launch, ramp-up after launch, clearance ramp-down, 0 after."""
    t = np.arange(horizon)[None, :]
    launch = items.launch_month[dfus.item][:, None]
    disc = items.discontinue_month[dfus.item][:, None]
    since = t - launch
    ramp = np.where(since >= 0, 1.0 - np.exp(-(since + 0.5) / 2.0), 0.0)
    until = disc - t
    clearance = np.where(until < 0, 0.0, np.where(until < 3, 0.4 + 0.2 * until, 1.0))
    return ramp * clearance


def build_world(spec: ScaleSpec, seed: int, end_month: dt.date) -> World:
    end = end_month.replace(day=1)
    start = add_months(end, -(spec.n_months - 1))
    items = make_items(spec, seed, start)
    locations = make_locations(spec, seed)
    customers = make_customers(spec, seed, locations)
    dfus = make_dfus(spec, seed, items, locations)
    n, T = len(dfus), spec.n_months
    H = T + MAX_LAG + 1  # the legacy forecast looks up to MAX_LAG + 1 months past the history
    rng = rng_for(seed, STREAM_DEMAND)

    # ---- level (ABC): item popularity x location size, heavy-tailed
    level = items.popularity[dfus.item] * locations.size[dfus.location]
    level = 40.0 * level / np.median(level)
    # ---- seasonality by category (item-specific amplitude)
    season_idx = cat.seasonality_matrix()
    moy = np.array([(start.month - 1 + t) % 12 for t in range(H)])
    season = season_idx[items.category[dfus.item]][:, moy] ** items.season_amp[dfus.item][:, None]
    # ---- trend: most DFUs mild, some growing, some declining
    u = rng.random(n)
    trend = np.where(
        u < 0.12,
        rng.uniform(0.12, 0.3, n),
        np.where(u < 0.24, rng.uniform(-0.3, -0.1, n), rng.normal(0.0, 0.05, n)),
    )
    tc = (np.arange(H) - (T - 1) / 2.0) / 12.0
    trend_f = np.exp(trend[:, None] * tc[None, :])
    life = _lifecycle(items, dfus, H)
    signal = level[:, None] * season * trend_f * life

    # ---- promotions: item-month events at stores, uplift then a dip the month after. The intended events
    # (an item sells at a store with lifecycle > 0.3) go through the promotion plan, which cancels, moves
    # and revises some of them: the sales show the promotions the plan ends with.
    prng = rng_for(seed, STREAM_PROMO)
    promo_rate = np.array([c.promo_rate for c in cat.CATEGORIES])[items.category]
    item_promo = prng.random((spec.n_items, H)) < promo_rate[:, None]
    at_store = ~locations.is_dc[dfus.location]
    eligible = np.zeros((spec.n_items, H), dtype=bool)
    np.logical_or.at(eligible, dfus.item[at_store], life[at_store] > 0.3)
    plan = draw_plan(items, item_promo, eligible, seed, start, T)
    promo = plan.promo[dfus.item] & at_store[:, None] & (life > 0.3)
    after = np.zeros_like(promo)
    after[:, 1:] = promo[:, :-1] & ~promo[:, 1:]
    promo_effect = np.where(promo, plan.uplift[dfus.item], np.where(after, 0.8, 1.0))

    # ---- XYZ volatility: bigger DFUs tend to be steadier
    vol_rank = np.argsort(np.argsort(-level)) / max(n - 1, 1)
    u = rng.random(n)
    p_x = 0.65 - 0.4 * vol_rank
    xyz = np.where(u < p_x, "X", np.where(u < p_x + 0.33, "Y", "Z"))
    lo = np.select([xyz == "X", xyz == "Y"], [XYZ_CV["X"][0], XYZ_CV["Y"][0]], XYZ_CV["Z"][0])
    hi = np.select([xyz == "X", xyz == "Y"], [XYZ_CV["X"][1], XYZ_CV["Y"][1]], XYZ_CV["Z"][1])
    cv = rng.uniform(lo, hi)

    # ---- intermittent: per-category share plus every very slow DFU; lumpy demand in few months
    share = np.array([c.intermittent_share for c in cat.CATEGORIES])[items.category[dfus.item]]
    intermittent = (rng.random(n) < share) | (level < 2.0)
    p_occ = rng.uniform(0.15, 0.55, n)
    int_level = np.minimum(level, rng.uniform(0.4, 4.0, n))
    signal = np.where(intermittent[:, None], int_level[:, None] * life, signal)
    xyz = np.where(intermittent, "Z", xyz)

    # ---- realised demand for the history months
    shape = 1.0 / cv**2
    noise = rng.gamma(shape[:, None], 1.0 / shape[:, None], size=(n, T))
    occurs = rng.random((n, T)) < p_occ[:, None]
    lumps = rng.gamma(1.2, 1.0 / 1.2, size=(n, T)) / p_occ[:, None]
    outlier = np.where(rng.random((n, T)) < 0.004, rng.uniform(3.0, 7.0, (n, T)), 1.0)
    mu = (
        np.where(
            intermittent[:, None], signal[:, :T] * occurs * lumps, signal[:, :T] * promo_effect[:, :T] * noise
        )
        * outlier
    )
    qty = rng.poisson(mu).astype(np.int32)
    del mu, noise, occurs, lumps, outlier

    lines = plan_lines(qty, spec.lines_per_dfu_month)
    return World(
        spec=spec,
        seed=seed,
        start=start,
        end=end,
        items=items,
        locations=locations,
        customers=customers,
        dfus=dfus,
        signal=signal.astype(np.float32),
        promo=promo,
        promo_effect=promo_effect.astype(np.float32),
        promo_plan=plan,
        qty=qty,
        lines=lines,
        intermittent=intermittent,
        xyz=xyz,
        cv=cv,
        trend=trend,
        p_occ=p_occ,
        int_level=int_level,
    )


def plan_lines(qty: np.ndarray, lines_per_dfu_month: float) -> np.ndarray:
    """Lines per DFU-month: grows with the month's volume (~qty^0.45), never above qty, mean ~= target."""
    sold = qty > 0
    if not sold.any():
        return np.zeros_like(qty)
    q = qty[sold].astype(np.float64)
    base = q**0.45

    def count(c: float) -> np.ndarray:
        return np.minimum(q, np.maximum(1.0, np.rint(c * base)))

    lo, hi = 0.0, 4.0 * lines_per_dfu_month
    for _ in range(40):  # bisection on the scale so the mean lines per selling DFU-month hits the target
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if count(mid).mean() < lines_per_dfu_month else (lo, mid)
    out = np.zeros_like(qty)
    out[sold] = count(hi).astype(qty.dtype)
    return out
