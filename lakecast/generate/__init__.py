"""Realistic landing-data generator: ``lakecast generate --scale tiny|small|medium|large --seed N``.

Writes ``out_dir/<source>/<batch_id>/<file>`` for every landing source in ``contracts/landing.py`` plus
``out_dir/_manifest.json`` and the evaluation-only truth ``out_dir/_truth/dfu_demand_type.csv`` (no job
reads it). Same (scale, seed, messy_fraction, end_month) -> byte-identical files.
See docs/data-generator.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from contracts.landing import PROMO_PLAN, SALES_LINES, SOURCES
from lakecast.generate.demand import World, build_world
from lakecast.generate.external import batches as external_batches
from lakecast.generate.external import write_external
from lakecast.generate.masters import write_masters
from lakecast.generate.messy import (
    BAD_DATE,
    DISCOUNT_OVER_100,
    DUPLICATE_LINE,
    DUPLICATE_ROW,
    MESSY_KINDS,
    MISSING_REQUIRED,
    NEGATIVE_DISCOUNT,
    NEGATIVE_QTY,
    NON_NUMERIC_DISCOUNT,
    NON_NUMERIC_QTY,
    PARQUET_KINDS,
    PROMO_BEFORE_PUBLISH,
    PROMO_PLAN_KINDS,
    UNKNOWN_CUSTOMER,
    UNKNOWN_ITEM,
    UNKNOWN_LOCATION,
)
from lakecast.generate.promo_plan import batches as promo_plan_batches
from lakecast.generate.promo_plan import write_promo_plan
from lakecast.generate.sales import expected_rows, write_sales_batch
from lakecast.generate.scales import SCALES, ScaleSpec
from lakecast.generate.truth import write_truth

__all__ = [
    "BAD_DATE",
    "DISCOUNT_OVER_100",
    "DUPLICATE_LINE",
    "DUPLICATE_ROW",
    "MANIFEST_NAME",
    "MESSY_KINDS",
    "MISSING_REQUIRED",
    "NEGATIVE_DISCOUNT",
    "NEGATIVE_QTY",
    "NON_NUMERIC_DISCOUNT",
    "NON_NUMERIC_QTY",
    "PARQUET_KINDS",
    "PROMO_BEFORE_PUBLISH",
    "PROMO_PLAN_KINDS",
    "SCALES",
    "UNKNOWN_CUSTOMER",
    "UNKNOWN_ITEM",
    "UNKNOWN_LOCATION",
    "ScaleSpec",
    "World",
    "build_world",
    "expected_sales_lines",
    "generate",
]

MANIFEST_NAME = "_manifest.json"
GENERATOR_VERSION = 1
DEFAULT_END_MONTH = dt.date(2026, 10, 1)


def _spec(scale: str | ScaleSpec) -> ScaleSpec:
    if isinstance(scale, ScaleSpec):
        return scale
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    return SCALES[scale]


def expected_sales_lines(
    scale: str | ScaleSpec = "tiny",
    seed: int = 42,
    messy_fraction: float = 0.01,
    end_month: dt.date = DEFAULT_END_MONTH,
) -> dict[str, int]:
    """Exact rows of every sales_lines batch (batch_id -> rows), computed from the demand plan alone.

    Cheap even for ``large`` (it builds the DFU x month plan, not the lines).
    """
    world = build_world(_spec(scale), seed, end_month)
    rows = expected_rows(world, messy_fraction)
    return {f"{world.month(t):%Y-%m}": r for t, r in enumerate(rows)}


def _remove_previous(out_dir: Path) -> None:
    """Delete the files a previous run listed in its manifest (and nothing else), so scales never mix."""
    manifest = out_dir / MANIFEST_NAME
    if not manifest.exists():
        return
    try:
        old = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return
    listed = [
        f
        for src in old.get("sources", {}).values()
        for b in src.get("batches", {}).values()
        for f in b.get("files", [])
    ]
    if "truth" in old:
        listed.append(old["truth"])
    for f in listed:
        p = out_dir / f["path"]
        if p.is_file():
            p.unlink()
        for parent in (p.parent, p.parent.parent):
            if parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
    manifest.unlink()


def _totals(batches: dict) -> dict:
    return {
        "batch_count": len(batches),
        "rows": sum(b["rows"] for b in batches.values()),
        "files": sum(len(b["files"]) for b in batches.values()),
        "bytes": sum(f["bytes"] for b in batches.values() for f in b["files"]),
    }


def generate(
    out_dir: Path,
    scale: str = "tiny",
    seed: int = 42,
    messy_fraction: float = 0.01,
    end_month: dt.date = DEFAULT_END_MONTH,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Write landing files under out_dir (= the landing dir) and return the manifest dict.

    The manifest is also written to ``out_dir/_manifest.json`` (last, so its presence marks a complete run).

    ``end_month`` is the last month of history (inclusive); history spans the scale's ``n_months`` up to it.
    ``progress(stage, done, total)`` is called once per stage with done=0 and after every file written;
    stages are the source names.
    """
    spec = _spec(scale)
    if not 0.0 <= messy_fraction <= 0.5:
        raise ValueError(f"messy_fraction must be within [0, 0.5], got {messy_fraction}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous(out_dir)
    world = build_world(spec, seed, end_month)

    def tick(stage: str, done: int, total: int) -> None:
        if progress:
            progress(stage, done, total)

    for source in ("item_master", "location_master", "customer_master"):
        tick(source, 0, 3)
    masters = write_masters(world, out_dir, tick)

    sales: dict[str, dict] = {}
    tick(SALES_LINES.name, 0, world.n_months)
    for t in range(world.n_months):
        entry = write_sales_batch(world, t, out_dir, messy_fraction)
        sales[entry["batch_id"]] = entry
        tick(SALES_LINES.name, t + 1, world.n_months)

    tick("external_forecast", 0, len(external_batches(world)))
    external = write_external(world, out_dir, tick)

    tick(PROMO_PLAN.name, 0, len(promo_plan_batches(world)))
    promo_plan = write_promo_plan(world, out_dir, messy_fraction, tick)
    truth = write_truth(world, out_dir)

    sources = {**masters, SALES_LINES.name: sales, "external_forecast": external, PROMO_PLAN.name: promo_plan}
    manifest_sources = {}
    for name in SOURCES:
        batches = sources[name]
        entry = {"columns": list(SOURCES[name].columns), **_totals(batches), "batches": batches}
        kinds = {SALES_LINES.name: MESSY_KINDS, PROMO_PLAN.name: PROMO_PLAN_KINDS}.get(name)
        if kinds:
            entry["messy"] = {k: sum(b["messy"][k] for b in batches.values()) for k in kinds}
            entry["messy_total"] = sum(entry["messy"].values())
        manifest_sources[name] = entry
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "scale": spec.name,
        "seed": seed,
        "messy_fraction": messy_fraction,
        "start_month": f"{world.start:%Y-%m}",
        "end_month": f"{world.end:%Y-%m}",
        "n_months": world.n_months,
        "n_items": spec.n_items,
        "n_locations": spec.n_locations,
        "n_customers": spec.n_customers,
        "n_dfus": len(world.dfus),
        "messy_kinds": list(MESSY_KINDS),
        "sources": manifest_sources,
        "truth": truth,
    }
    tmp = out_dir / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, out_dir / MANIFEST_NAME)
    return manifest
