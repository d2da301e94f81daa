"""The generator's promotion plan (landing/promo_plan) and evaluation-only truth file (_truth/): fast, no Spark."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from contracts.landing import PROMO_PLAN
from lakecast.generate import (
    BAD_DATE,
    DISCOUNT_OVER_100,
    DUPLICATE_ROW,
    NEGATIVE_DISCOUNT,
    NON_NUMERIC_DISCOUNT,
    PROMO_BEFORE_PUBLISH,
    PROMO_PLAN_KINDS,
    SCALES,
    UNKNOWN_ITEM,
    build_world,
    generate,
)
from lakecast.generate import catalog as cat
from lakecast.generate.promo_plan import CANCELLED, MOVED, REVISED, UNPLANNED
from lakecast.generate.truth import demand_types

END = dt.date(2026, 10, 1)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    out = []
    for r in pq.read_table(path).to_pylist():
        out.append({k: "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for k, v in r.items()})
    return out


def _is_date(s: str) -> bool:
    if not ISO_DATE.match(s):
        return False
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


def _defect(row: dict, seen: set[tuple], items: set[str]) -> str | None:
    """The one defect of a promo_plan row (None = clean), as docs/data-generator.md defines the kinds."""
    if not _is_date(row["published_at"]):
        return BAD_DATE
    if not NUMBER.match(row["discount_pct"]):
        return NON_NUMERIC_DISCOUNT
    if float(row["discount_pct"]) < 0:
        return NEGATIVE_DISCOUNT
    if float(row["discount_pct"]) > 100:
        return DISCOUNT_OVER_100
    if row["promo_month"] < row["published_at"][:7]:
        return PROMO_BEFORE_PUBLISH
    if row["item_id"] not in items:
        return UNKNOWN_ITEM
    key = tuple(row.values())
    if key in seen:
        return DUPLICATE_ROW
    seen.add(key)
    return None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("tiny-plan")
    return root, generate(root, scale="tiny", seed=42, messy_fraction=0.02)


@pytest.fixture(scope="module")
def item_ids(tiny) -> set[str]:
    root, _ = tiny
    return {r["item_id"] for p in (root / "item_master").rglob("*.csv") for r in _rows(p)}


@pytest.fixture(scope="module")
def plan(tiny, item_ids) -> list[dict]:
    """The clean promo_plan rows of every batch, as delivered."""
    root, manifest = tiny
    out = []
    for entry in manifest["sources"]["promo_plan"]["batches"].values():
        seen: set[tuple] = set()
        out += [r for r in _rows(root / entry["files"][0]["path"]) if _defect(r, seen, item_ids) is None]
    return out


@pytest.fixture(scope="module")
def small():
    return build_world(SCALES["small"], 42, END)


# ---------------------------------------------------------------- the plan itself
def test_promo_plan_batches_are_publish_years_and_messy_counts_match_files(tiny, item_ids):
    root, manifest = tiny
    src = manifest["sources"]["promo_plan"]
    assert src["columns"] == list(PROMO_PLAN.columns)
    assert sorted(src["batches"]) == ["2023", "2024", "2025", "2026"]
    totals: Counter = Counter()
    for b, entry in src["batches"].items():
        rows = _rows(root / entry["files"][0]["path"])
        assert len(rows) == entry["rows"] == entry["clean_rows"] + entry["messy_total"]
        seen: set[tuple] = set()
        found = Counter(k for k in (_defect(r, seen, item_ids) for r in rows) if k)
        assert {k: found.get(k, 0) for k in PROMO_PLAN_KINDS} == entry["messy"], b
        clean = [r for r in rows if _is_date(r["published_at"])]
        assert all(r["published_at"][:4] == b for r in clean)
        totals.update(found)
    assert dict(totals) == src["messy"] and set(totals) == set(PROMO_PLAN_KINDS)  # every kind at least once
    assert src["messy_total"] == sum(totals.values())


def test_plan_versions_are_published_one_to_four_months_ahead(plan):
    assert len(plan) > 40
    by_plan = defaultdict(list)
    for r in plan:
        by_plan[r["plan_id"]].append(r)
    assert all(re.fullmatch(r"PP\d{6}", p) for p in by_plan)
    assert len({(r["plan_id"], r["published_at"]) for r in plan}) == len(plan)  # one version per plan and day
    per_item_month = defaultdict(set)
    for pid, versions in by_plan.items():
        versions.sort(key=lambda r: r["published_at"])
        assert len({(r["item_id"], r["promo_month"]) for r in versions}) == 1  # a plan is one item-month
        per_item_month[(versions[0]["item_id"], versions[0]["promo_month"])].add(pid)
        first = versions[0]
        assert first["status"] == "planned"
        pm, pub = first["promo_month"], dt.date.fromisoformat(first["published_at"])
        ahead = (int(pm[:4]) - pub.year) * 12 + int(pm[5:7]) - pub.month
        assert 1 <= ahead <= 4 and pub.day <= 21, first
        for r in versions:
            assert r["published_at"][:7] < pm  # every version is published before the promo month
            assert 5 <= int(r["discount_pct"]) <= 40 and int(r["discount_pct"]) % 5 == 0
        assert all(r["status"] == "planned" for r in versions[:-1])  # cancelling is the last word
    assert all(len(p) == 1 for p in per_item_month.values())  # at most one plan per item-month


def test_plan_fates_have_realistic_shares(small):
    fate = Counter(small.promo_plan.event_fate.tolist())
    n = sum(fate.values())
    assert n > 1000
    assert 0.08 < fate[CANCELLED] / n < 0.12  # ~10% cancelled
    assert 0.035 < fate[UNPLANNED] / n < 0.065  # ~5% unplanned
    assert 0.03 < fate[MOVED] / n < 0.07 and 0.08 < fate[REVISED] / n < 0.12
    rows = small.promo_plan.rows
    cancelled = rows["status"] == "cancelled"
    assert cancelled.sum() == fate[CANCELLED] + fate[MOVED] - _after_history(small)


def _after_history(world) -> int:
    """Cancellations of cancelled/moved events not delivered because they are published after the history."""
    p = world.promo_plan
    hist_end = world.month(world.n_months).toordinal() - 1
    delivered = {(int(i), int(m)) for i, m, s in zip(p.rows["item"], p.rows["month"], p.rows["status"], strict=True)
                 if s == "cancelled"}
    gone = (p.event_fate == CANCELLED) | (p.event_fate == MOVED)
    missing = [(i, t) for i, t in zip(p.event_item[gone], p.event_month[gone], strict=True)
               if (int(i), int(t)) not in delivered]
    assert all(world.month(int(t)).toordinal() > hist_end - 4 * 31 for _, t in missing)  # only near the end
    return len(missing)


# ---------------------------------------------------------------- agreement with the sales lines
def _latest_before_month(plan: list[dict]) -> dict[tuple[str, str], dict]:
    """(item, promo_month) -> the plan's last version published before the month starts."""
    out: dict[tuple[str, str], dict] = {}
    for r in sorted(plan, key=lambda r: (r["published_at"], r["plan_id"])):
        if r["published_at"][:7] < r["promo_month"]:
            out[(r["item_id"], r["promo_month"])] = r
    return out


@pytest.fixture(scope="module")
def store_lines(tiny, item_ids) -> list[dict]:
    """Clean store (no customer) sales lines of every batch."""
    root, manifest = tiny
    out = []
    for entry in manifest["sources"]["sales_lines"]["batches"].values():
        seen: set[str] = set()
        for r in _rows(root / entry["files"][0]["path"]):
            if r["line_id"] in seen or not r["line_id"]:
                continue
            seen.add(r["line_id"])
            ok = _is_date(r["sale_date"]) and NUMBER.match(r["qty"] or "x") and float(r["qty"]) >= 0
            if ok and r["item_id"] in item_ids and not r["customer_id"] and r["location_id"].startswith("L"):
                out.append(r)
    return out


def test_sales_promotions_follow_the_plan(tiny, plan, store_lines):
    root, manifest = tiny
    world = build_world(SCALES["tiny"], 42, END)
    history = set(manifest["sources"]["sales_lines"]["batches"])
    latest = _latest_before_month(plan)
    promoted = {(r["item_id"], r["sale_date"][:7]) for r in store_lines if r["promo_flag"] in ("1", "1.0")}
    sold = {(r["item_id"], r["sale_date"][:7]) for r in store_lines}
    cancelled = {k for k, r in latest.items() if r["status"] == "cancelled" and k[1] in history}
    planned = {k for k, r in latest.items() if r["status"] == "planned" and k[1] in history}
    assert len(cancelled) >= 5 and len(planned) >= 25
    assert not promoted & cancelled  # a cancelled plan never shows as a promotion
    # promotions without a visible plan are exactly the unplanned events
    p = world.promo_plan
    unplanned = {(world.items.item_id[i], f"{world.month(int(t)):%Y-%m}")
                 for i, t, f in zip(p.event_item, p.event_month, p.event_fate, strict=True) if f == UNPLANNED}
    assert promoted - planned == promoted & unplanned and 0 < len(promoted & unplanned) <= 0.15 * len(promoted)
    # the demand plan promotes exactly the planned and the unplanned item-months (at the item's stores) ...
    on_promo = {(world.items.item_id[world.dfus.item[k]], f"{world.month(int(t)):%Y-%m}")
                for k, t in zip(*np.nonzero(world.promo[:, : world.n_months]), strict=True)}
    assert on_promo == planned | (unplanned & {(i, m) for i, m in on_promo if m in history})
    # ... and 80% of such a month's lines carry the flag, so it shows wherever the item sells a few lines
    assert len(planned & sold & promoted) >= 0.9 * len(planned & sold)


def test_promo_lines_carry_the_planned_discount(plan, store_lines):
    latest = _latest_before_month(plan)
    prices: defaultdict[tuple[str, str, str], dict[str, set[float]]] = defaultdict(lambda: {"0": set(), "1": set()})
    for r in store_lines:
        prices[(r["item_id"], r["location_id"], r["sale_date"][:7])][r["promo_flag"]].add(float(r["unit_price"]))
    checked = 0
    for (item, _, month), p in prices.items():
        if p["1"] and p["0"] and (item, month) in latest:  # (unplanned promotions have no plan row)
            assert len(p["0"]) == 1 and len(p["1"]) == 1  # one list price and one promo price per DFU-month
            d = int(latest[(item, month)]["discount_pct"]) / 100
            assert abs(min(p["1"]) - min(p["0"]) * (1 - d)) <= 0.01
            checked += 1
    assert checked >= 20


def test_a_higher_discount_gives_a_higher_uplift(small):
    p = small.promo_plan
    assert (p.uplift[p.promo] >= 1.1).all() and (p.uplift[p.promo] <= 3.2).all()
    assert (p.uplift[~p.promo] == 1.0).all() and (p.discount[~p.promo] == 0).all()
    assert 1.9 < p.uplift[p.promo].mean() < 2.1  # as before the plan: the item uplift (1.4..2.6) on average
    pairs = 0
    for i in np.unique(np.nonzero(p.promo)[0]):
        d, u = p.discount[i][p.promo[i]], p.uplift[i][p.promo[i]]
        for a in range(len(d)):
            for b in range(len(d)):
                if d[a] > d[b]:
                    assert u[a] > u[b]
                    pairs += 1
    assert pairs > 200
    # and the legacy forecast keeps knowing promotions at lags 0-1 only (it reads promo_effect, unchanged)
    assert np.allclose(small.promo_effect[small.promo], p.uplift[small.dfus.item][small.promo], rtol=1e-6)


# ---------------------------------------------------------------- evaluation-only truth
def test_truth_file_sits_outside_every_source_and_describes_every_dfu(tiny):
    root, manifest = tiny
    truth = manifest["truth"]
    assert truth["path"] == "_truth/dfu_demand_type.csv"
    rows = _rows(root / truth["path"])
    assert len(rows) == truth["rows"] == manifest["n_dfus"]
    assert list(rows[0]) == truth["columns"]
    assert len({(r["item_id"], r["location_id"]) for r in rows}) == len(rows)
    assert {r["demand_type"] for r in rows} <= {"smooth", "erratic", "intermittent", "lumpy"}
    assert {r["lifecycle"] for r in rows} == {"mature", "launched", "discontinued"}
    assert {r["seasonal"] for r in rows} == {"true", "false"}
    # the truth folder is no landing source: nothing in contracts.landing is named after it
    assert not any(f["path"].startswith("_truth") for s in manifest["sources"].values()
                   for b in s["batches"].values() for f in b["files"])


def test_truth_demand_types_match_what_the_sales_show(small):
    t = demand_types(small)
    assert set(Counter(t["demand_type"].tolist())) == {"smooth", "erratic", "intermittent", "lumpy"}
    agree = 0
    for d, q in enumerate(small.qty.astype(float)):
        nz = np.flatnonzero(q)
        span = q[nz[0] : nz[-1] + 1] if len(nz) else q
        sizes = span[span > 0]
        if len(sizes) < 2:
            continue
        adi, cv2 = len(span) / len(sizes), sizes.var() / sizes.mean() ** 2
        if adi > 1.32:
            observed = "lumpy" if cv2 > 0.49 else "intermittent"
        else:
            observed = "erratic" if cv2 > 0.49 else "smooth"
        agree += observed == t["demand_type"][d]
    assert agree / len(t["demand_type"]) >= 0.72  # 0.729 at seed 42: short-sample CV^2 of the sizes is noisy


def test_truth_seasonality_and_lifecycle_follow_the_generator(small):
    t = demand_types(small)
    it, d = small.items, small.dfus
    names = np.array([c.name for c in cat.CATEGORIES])[it.category[d.item]]
    flat = np.isin(names, ["Household", "Spare Parts", "Personal Care"])
    strong = np.isin(names, ["Ice Cream", "Garden", "Winter", "Toys & Gifts"]) & ~small.intermittent
    assert not t["seasonal"][flat].any() and t["seasonal"][strong].all() and not t["seasonal"][small.intermittent].any()
    life = t["lifecycle"]
    T = small.n_months
    assert (small.qty[life == "discontinued", -1] == 0).all()  # nothing sold after the clearance
    launched = np.flatnonzero(life == "launched")
    assert len(launched) > 50 and (small.qty[launched, 0] == 0).all()  # nothing sold in the first month
    assert ((it.launch_month[d.item] < 0) & (it.discontinue_month[d.item] >= T))[life == "mature"].all()
