"""Items, locations, customers and the DFUs (item x location pairs that actually sell).

Everything here is entity-level (thousands of rows at most), so modest Python loops are fine; the
per-line work lives in `sales.py` and is fully vectorised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from lakecast.generate import catalog as cat
from lakecast.generate.scales import ScaleSpec
from lakecast.lag import add_months

# RNG stream ids: every component draws from its own stream so that changing one never shifts another.
STREAM_ITEMS, STREAM_LOCATIONS, STREAM_CUSTOMERS, STREAM_DFUS = 1, 2, 3, 4


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """A generator for one component (and optionally one month): independent of every other stream."""
    return np.random.default_rng([seed, *key])


@dataclass
class Items:
    item_id: np.ndarray  # str
    name: list[str]
    brand: np.ndarray  # str
    category: np.ndarray  # int index into catalog.CATEGORIES
    subcategory: np.ndarray  # str
    supplier: np.ndarray  # str
    uom: np.ndarray  # str
    base_price: np.ndarray  # float, consumer price at history start
    unit_cost: np.ndarray  # float
    lead_time_days: np.ndarray  # int
    launch_date: list[dt.date]
    launch_month: np.ndarray  # int month index (negative = before history)
    discontinue_date: list[dt.date | None]
    discontinue_month: np.ndarray  # int month index; large sentinel when never discontinued
    popularity: np.ndarray  # float, lognormal: drives the ABC mix
    season_amp: np.ndarray  # float exponent applied to the category seasonality
    promo_uplift: np.ndarray  # float multiplier in promo months
    promo_discount: np.ndarray  # float price cut on promo lines
    inflation: np.ndarray  # float yearly list-price increase
    price_step_month: np.ndarray  # int calendar month (1..12) of the yearly price change


@dataclass
class Locations:
    location_id: np.ndarray
    name: list[str]
    is_dc: np.ndarray  # bool
    country: np.ndarray
    region: np.ndarray
    size: np.ndarray  # float demand multiplier
    price_factor: np.ndarray  # stores ~1, DCs sell at wholesale prices


@dataclass
class Customers:
    customer_id: np.ndarray
    name: list[str]
    segment: np.ndarray
    region: np.ndarray
    home_dc: np.ndarray  # int location index of the DC that serves the customer
    weight: np.ndarray  # float share of its DC's lines
    discount: np.ndarray  # float negotiated discount off the DC price


@dataclass
class Dfus:
    item: np.ndarray  # int item index
    location: np.ndarray  # int location index

    def __len__(self) -> int:
        return len(self.item)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)])


def make_items(spec: ScaleSpec, seed: int, start: dt.date) -> Items:
    rng = rng_for(seed, STREAM_ITEMS)
    n, n_months = spec.n_items, spec.n_months
    n_cat = len(cat.CATEGORIES)
    weights = np.array([c.weight for c in cat.CATEGORIES])
    category = rng.choice(n_cat, size=n, p=weights / weights.sum())
    category[: min(n, n_cat)] = np.arange(min(n, n_cat))  # every category exists, even at tiny scale

    # each category has its own few brands
    brands_by_cat = []
    for _ in range(n_cat):
        stems = rng.choice(len(cat.BRAND_STEMS), size=4, replace=False)
        sfx = rng.choice(len(cat.BRAND_SUFFIXES), size=4)
        brands_by_cat.append(
            [cat.BRAND_STEMS[s] + cat.BRAND_SUFFIXES[x] for s, x in zip(stems, sfx, strict=True)]
        )
    brand_pick = rng.integers(0, 4, size=n)
    brand = np.array([brands_by_cat[c][b] for c, b in zip(category, brand_pick, strict=True)])
    subcategory = np.array(
        [
            cat.CATEGORIES[c].subcategories[rng.integers(len(cat.CATEGORIES[c].subcategories))]
            for c in category
        ]
    )
    uom = np.array([cat.CATEGORIES[c].uoms[rng.integers(len(cat.CATEGORIES[c].uoms))] for c in category])
    supplier = np.array(cat.SUPPLIERS)[rng.integers(0, len(cat.SUPPLIERS), size=n)]

    names = []
    for i, c in enumerate(category):
        noun = cat.CATEGORIES[c].nouns[rng.integers(len(cat.CATEGORIES[c].nouns))]
        adj = cat.ADJECTIVES[rng.integers(len(cat.ADJECTIVES))]
        sizes = cat.CATEGORIES[c].sizes
        size = sizes[rng.integers(len(sizes))]
        u = rng.random()
        if i == 0:  # always one name needing CSV quoting with both a comma and embedded quotes
            names.append(f'{brand[i]} Cola, 1.5L "Zero"')
        elif i == 3:  # and one (a gift set) whose name spans two lines
            names.append(f'{brand[i]} {noun} "Deluxe"\nassorted, 12 pcs')
        elif u < 0.04:
            names.append(f"{brand[i]} {noun}, {size}")
        elif u < 0.06:
            names.append(f'{brand[i]} "{adj}" {noun} {size}')
        else:
            names.append(f"{brand[i]} {adj} {noun} {size}")

    median_price = np.array([cat.CATEGORIES[c].median_price for c in category])
    base_price = np.round(median_price * rng.lognormal(0.0, 0.35, size=n), 1) - 0.01
    base_price = np.maximum(base_price, 0.29)
    unit_cost = np.round(base_price * rng.uniform(0.45, 0.7, size=n), 2)
    lead = cat.LEAD_TIMES[rng.integers(0, len(cat.LEAD_TIMES), size=n)]
    spare = category == n_cat - 1
    lead = np.where(spare, lead + 28, lead)

    # lifecycle: most items predate the history; ~16% launch inside it, ~9% are discontinued inside it
    lifecycle_draw = rng.random(n)
    launch_month = np.where(
        lifecycle_draw < 0.16, rng.integers(2, max(3, n_months - 4), size=n), -rng.integers(1, 96, size=n)
    )
    launch_month[: min(n, n_cat)] = -rng.integers(1, 96, size=min(n, n_cat))  # category anchors are mature
    never = 10_000
    disc_month = np.full(n, never)
    lo = np.maximum(launch_month + 6, n_months // 4)
    can = (rng.random(n) < 0.09) & (lo < n_months - 2)
    can[: min(n, n_cat)] = False
    disc_month[can] = rng.integers(lo[can], n_months - 2)
    others = np.arange(min(n, n_cat), n)
    if len(others) >= 2:  # every scale shows at least one launch and one discontinuation
        if not (launch_month[others] >= 0).any():
            launch_month[others[0]] = n_months // 2
        if not (disc_month[others] < (2 * n_months) // 3 + 5).any():  # visible in the last master snapshot
            j = others[-1]
            launch_month[j] = min(launch_month[j], 0)
            disc_month[j] = (2 * n_months) // 3 - 1
    launch_day = rng.integers(1, 29, size=n)
    disc_day = rng.integers(1, 29, size=n)
    launch_date = [
        add_months(start, int(m)).replace(day=int(d)) for m, d in zip(launch_month, launch_day, strict=True)
    ]
    discontinue_date = [
        add_months(start, int(m)).replace(day=int(d)) if m < never else None
        for m, d in zip(disc_month, disc_day, strict=True)
    ]

    popularity = rng.lognormal(0.0, 1.45, size=n)
    # category anchors sell reasonably well, so even the tiny scale shows every category's pattern
    popularity[: min(n, n_cat)] = np.maximum(popularity[: min(n, n_cat)], 0.8)
    return Items(
        item_id=_ids("I", n, 6),
        name=names,
        brand=brand,
        category=category,
        subcategory=subcategory,
        supplier=supplier,
        uom=uom,
        base_price=base_price,
        unit_cost=unit_cost,
        lead_time_days=lead,
        launch_date=launch_date,
        launch_month=launch_month,
        discontinue_date=discontinue_date,
        discontinue_month=disc_month,
        popularity=popularity,
        season_amp=rng.uniform(0.6, 1.3, size=n),
        promo_uplift=rng.uniform(1.4, 2.6, size=n),
        promo_discount=rng.choice([0.1, 0.15, 0.2, 0.25, 0.3], size=n),
        inflation=rng.uniform(0.0, 0.06, size=n),
        price_step_month=rng.integers(1, 13, size=n),
    )


def make_locations(spec: ScaleSpec, seed: int) -> Locations:
    rng = rng_for(seed, STREAM_LOCATIONS)
    n = spec.n_locations
    is_dc = np.zeros(n, dtype=bool)
    is_dc[: spec.n_dcs] = True  # DCs take the first ids
    countries = list(cat.COUNTRY_WEIGHTS)
    cw = np.array(list(cat.COUNTRY_WEIGHTS.values()))
    country = np.array(countries)[rng.choice(len(countries), size=n, p=cw / cw.sum())]
    region, names = [], []
    for i in range(n):
        c = country[i]
        region.append(cat.REGIONS[c][rng.integers(len(cat.REGIONS[c]))])
        city = cat.CITIES[region[-1]][rng.integers(len(cat.CITIES[region[-1]]))]
        district = cat.DISTRICTS[rng.integers(len(cat.DISTRICTS))]
        if is_dc[i]:
            names.append(f"DC {city} {i + 1}")
        elif rng.random() < 0.2:
            names.append(f"Store {city}, {district}")
        else:
            names.append(f"Store {city} {district} {i + 1}")
    size = np.where(is_dc, rng.lognormal(1.0, 0.4, size=n), rng.lognormal(0.0, 0.5, size=n))
    price_factor = np.where(is_dc, rng.uniform(0.78, 0.85, size=n), rng.uniform(0.97, 1.06, size=n))
    return Locations(
        location_id=_ids("L", n, 4),
        name=names,
        is_dc=is_dc,
        country=country,
        region=np.array(region),
        size=size,
        price_factor=price_factor,
    )


def make_customers(spec: ScaleSpec, seed: int, locations: Locations) -> Customers:
    rng = rng_for(seed, STREAM_CUSTOMERS)
    n = spec.n_customers
    dcs = np.flatnonzero(locations.is_dc)
    home = dcs[np.arange(n) % len(dcs)] if len(dcs) else np.full(n, -1)
    sw = np.array(cat.SEGMENT_WEIGHTS)
    segment = np.array(cat.SEGMENTS)[rng.choice(len(cat.SEGMENTS), size=n, p=sw / sw.sum())]
    names = []
    for i in range(n):
        stem = cat.CUSTOMER_STEMS[rng.integers(len(cat.CUSTOMER_STEMS))]
        kind = cat.CUSTOMER_KINDS[rng.integers(len(cat.CUSTOMER_KINDS))]
        city = cat.CITIES[locations.region[home[i]]][rng.integers(3)] if home[i] >= 0 else "Online"
        names.append(f"{stem} {kind}, {city}" if rng.random() < 0.3 else f"{stem} {kind} {city} {i + 1}")
    region = locations.region[home] if len(dcs) else np.full(n, "")
    return Customers(
        customer_id=_ids("C", n, 5),
        name=names,
        segment=segment,
        region=region,
        home_dc=home,
        weight=rng.lognormal(0.0, 1.0, size=n),
        discount=rng.choice([0.0, 0.0, 0.02, 0.03, 0.05], size=n),
    )


def make_dfus(spec: ScaleSpec, seed: int, items: Items, locations: Locations) -> Dfus:
    """Choose the item x location pairs that sell: popular items sell widely, big locations carry more."""
    rng = rng_for(seed, STREAM_DFUS)
    n_loc = spec.n_locations
    affinity = np.array([c.dc_affinity for c in cat.CATEGORIES])[items.category]
    # (n_items, n_locations) log-weights: bigger locations first; DC-affine categories lean to DCs
    logw = np.log(locations.size)[None, :] + np.where(
        locations.is_dc[None, :], np.log(affinity)[:, None], 0.0
    )
    pop = np.sqrt(items.popularity)

    def breadth(scale: float) -> np.ndarray:
        return np.clip(np.rint(scale * pop), 1, n_loc).astype(int)

    lo, hi = 0.0, float(n_loc * 4)
    for _ in range(60):  # bisection: total breadth ~= n_dfus
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if breadth(mid).sum() < spec.n_dfus else (lo, mid)
    b = breadth(hi)
    keys = logw + rng.gumbel(size=logw.shape)  # Gumbel top-k = weighted sampling without replacement
    rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    item_idx, loc_idx = np.nonzero(rank < b[:, None])
    return Dfus(item=item_idx, location=loc_idx)
