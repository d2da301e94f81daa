"""`lakecast demo --cycles N`: the last N months of the generated history run as N successive monthly planning
cycles (issue 13 item 3), so forecast versions, the waterfall and the value of overrides have real content.

The landing data is generated whole, then the sales batches (and master snapshots) of the last N-1 months are
held back in ``<data_dir>/landing_held``. Cycle 1 runs the whole pipeline on the history up to month M-N+1; every
later cycle lands one more month (moves its batch back into ``landing/``) and runs bronze → silver → gold
(incremental: bronze lands only the new batch) → forecast. At every cycle the planners then enter seeded overrides
on the baseline just published (``lakecast.generate.overrides``; created, submitted and approved through the
governance service, audited) and the final job publishes the final version. Sources read as of an origin (the
promotion plan by ``published_at``, the legacy forecast by its origin) are landed whole: every read filters them.

At the end: versions kept, the waterfall's accuracy by lag of the final and the baseline forecast, and the FVA of
the overrides by reason code — the API's own services compute them (api.services.analytics.waterfall).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts.landing import SALES_LINES
from lakecast.lag import add_months
from lakecast.settings import Settings

HELD_DIR = "landing_held"
MASTER_SOURCES = ("item_master", "location_master", "customer_master")


class CyclesError(ValueError):
    """The lake or the landing data cannot run the requested cycles (message says why and what to do)."""


@dataclass
class CyclePlan:
    origins: list[dt.date]  # each cycle's origin (its last month of actuals), oldest first
    held: dict[dt.date, list[Path]]  # month -> batch directories held back until that month's cycle


def held_root(settings: Settings) -> Path:
    return settings.data_path / HELD_DIR


def _month_of_batch(source: str, batch: str) -> dt.date | None:
    """The month a batch delivers: sales batches are YYYY-MM, master snapshots YYYY-MM-DD (effective date)."""
    try:
        if source == SALES_LINES.name:
            return dt.datetime.strptime(batch, "%Y-%m").date()
        if source in MASTER_SOURCES:
            return dt.date.fromisoformat(batch).replace(day=1)
    except ValueError:
        return None
    return None


def restore(settings: Settings) -> int:
    """Move every held-back batch back into landing/ (an interrupted cycles run leaves some held); return count."""
    root = held_root(settings)
    moved = 0
    if not root.exists():
        return 0
    for batch in sorted(p for p in root.glob("*/*") if p.is_dir()):
        target = settings.landing_dir / batch.parent.name / batch.name
        if target.exists():
            raise CyclesError(f"{batch} is held back but {target} exists too: remove one of them")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(batch), str(target))
        moved += 1
    shutil.rmtree(root, ignore_errors=True)
    return moved


def plan_cycles(settings: Settings, n: int) -> CyclePlan:
    """Hold back the batches after the first cycle's origin; return the cycles' origins and what each lands."""
    if n < 1:
        raise CyclesError(f"--cycles must be >= 1, got {n}")
    sales_dir = settings.landing_dir / SALES_LINES.name
    months = sorted(m for b in (sales_dir.iterdir() if sales_dir.exists() else [])
                    if b.is_dir() and (m := _month_of_batch(SALES_LINES.name, b.name)) is not None)
    if len(months) < n + 12:
        raise CyclesError(f"{len(months)} months of sales batches under {sales_dir}: --cycles {n} needs at least "
                          f"{n + 12} (12 of history before the first cycle)")
    origins = months[-n:]
    held: dict[dt.date, list[Path]] = {m: [] for m in origins[1:]}
    root = held_root(settings)
    for source in (SALES_LINES.name, *MASTER_SOURCES):
        src_dir = settings.landing_dir / source
        for batch in sorted(src_dir.iterdir() if src_dir.exists() else []):
            month = _month_of_batch(source, batch.name) if batch.is_dir() else None
            if month is None or month <= origins[0]:
                continue
            # a master snapshot dated inside a later month lands with that month's sales
            cycle = min((o for o in origins if o >= month), default=None)
            if cycle is None:
                continue
            dest = root / source / batch.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(batch), str(dest))
            held[cycle].append(dest)
    return CyclePlan(origins=origins, held=held)


def land(settings: Settings, batches: list[Path]) -> list[str]:
    """Move held-back batches into landing/ (one cycle's delivery); return them as source/batch."""
    out = []
    for batch in batches:
        target = settings.landing_dir / batch.parent.name / batch.name
        shutil.move(str(batch), str(target))
        out.append(f"{batch.parent.name}/{batch.name}")
    return out


def _landed_months(spark: Any, settings: Settings) -> list[dt.date]:
    from contracts.bronze import BRONZE_TABLES
    from spark_jobs import io

    spec = BRONZE_TABLES[SALES_LINES.name]
    if not io.exists(spark, settings, spec):
        return []
    rows = io.read(spark, settings, spec).select("_batch_id").distinct().collect()
    return sorted(m for r in rows if (m := _month_of_batch(SALES_LINES.name, r[0])) is not None)


def apply_overrides(settings: Settings, url: str, origin: dt.date, console: Console) -> list[Any]:
    """The planners' seeded overrides on the baseline just published at ``origin``: created, submitted, approved."""
    import pandas as pd

    from api.services import overrides as svc
    from contracts.app import ApprovalDecision, OverrideCreate, UserPublic
    from lakecast.appdb.db import connect
    from lakecast.generate.overrides import planner_overrides
    from lakecast.runtime.engine import get_engine

    engine = get_engine(settings, serving=False)
    baseline = pd.DataFrame(engine.query(
        "SELECT DISTINCT dfu_id, item_id, location_id FROM gold.fact_forecast "
        "WHERE scenario_id = 'baseline' AND timeframe = 'forward'"))
    history = pd.DataFrame(engine.query("SELECT dfu_id, month_start, qty, promo_qty FROM gold.fact_sales_monthly"))
    plan = pd.DataFrame(engine.query(
        "SELECT item_id, promo_month, discount_pct, status, published_at FROM gold.fact_promo_plan"))
    planned = planner_overrides(baseline, history, plan, origin, seed=settings.forecast.seed)
    approver = UserPublic(username="approver", display_name="Ada Approver", role="approver")
    made = []
    with connect(url) as conn:
        for p in planned:
            who = UserPublic(username=p.planner, display_name=p.planner, role="planner")
            ov = svc.create_override(conn, who, OverrideCreate(
                item_id=p.item_id, location_id=p.location_id, start_month=p.start_month, end_month=p.end_month,
                new_qty=p.new_qty, pct_change=p.pct_change, reason_code=p.reason_code, reason_text=p.reason_text))
            ov = svc.submit_override(conn, who, ov.id, ov.version)
            ov = svc.decide_override(conn, approver, ov.id, "approved",
                                     ApprovalDecision(version=ov.version, note=f"cycle {origin:%Y-%m}"))
            made.append(ov)
    informed = sum(p.informed for p in planned)
    console.print(f"[green]✓[/] cycle {origin:%Y-%m}: {len(made)} overrides approved ({informed} informed by the "
                  f"promotion plan, {len(made) - informed} hunches)")
    return made


def run_cycles(settings: Settings, n: int, url: str, console: Console, maintain: bool,
               run_jobs: Callable[[Settings, list[str], Console], Any]) -> dict[str, Any]:
    """Run ``n`` planning cycles on landing data generated beforehand; return the timings per cycle.

    ``run_jobs`` is ``lakecast_cli.pipeline.run_jobs``, passed in by the demo so that this module does not import the
    module that imports it (no cycle between the CLI's modules)."""
    from lakecast.appdb.seed import seed_demo_users
    from lakecast.runtime.spark import get_spark
    from spark_jobs.registry import PIPELINE

    seed_demo_users(url)
    restore(settings)  # an interrupted run leaves batches held back
    plan = plan_cycles(settings, n)
    try:
        landed = _landed_months(get_spark(settings), settings)
        if landed and landed[-1] > plan.origins[0]:
            raise CyclesError(
                f"the lake under {settings.warehouse} already holds sales up to {landed[-1]:%Y-%m}, after the first "
                f"cycle's origin {plan.origins[0]:%Y-%m}: run the cycles on a new lake (LAKECAST_DATA_DIR=<new dir>)")
        console.rule(f"[bold]{n} planning cycles: {plan.origins[0]:%Y-%m} .. {plan.origins[-1]:%Y-%m}")
        timings: dict[str, Any] = {}
        report = None
        for k, origin in enumerate(plan.origins, start=1):
            console.rule(f"cycle {k}/{n}: actuals through {origin:%Y-%m}, forecast from {add_months(origin, 1):%Y-%m}")
            if k > 1:
                console.print(f"landed {', '.join(land(settings, plan.held[origin])) or 'nothing'}")
            report = run_jobs(settings, list(PIPELINE), console)
            apply_overrides(settings, url, origin, console)
            final = run_jobs(settings, ["final"], console)
            report.results.update(final.results)
            report.timings.update(final.timings)
            timings[f"cycle {origin:%Y-%m}"] = sum(report.timings.values())
        if maintain:
            run_jobs(settings, ["maintain"], console)
    finally:
        restore(settings)
    print_cycles(settings, url, console)
    return {"timings": timings, "report": report}


def print_cycles(settings: Settings, url: str, console: Console) -> None:
    """Versions kept, the waterfall's accuracy by lag and the overrides' value by reason code (the API's services)."""
    from api.engine import ServingEngine
    from api.services.analytics import waterfall as wf
    from api.services.analytics.common import DfuFilters, resolve_window
    from api.services.analytics.drilldown import sales_anchor
    from lakecast.appdb.db import connect
    from lakecast.runtime.engine import get_engine

    engine = ServingEngine(get_engine(settings, serving=False), settings)
    kept = engine.query("SELECT scenario_id, planning_cycle, count(DISTINCT version_id) AS n, count(*) AS n_rows "
                        "FROM gold.fact_forecast_version GROUP BY 1, 2 ORDER BY 2, 1")
    vt = Table("cycle", "scenario", "versions", "rows", title="Forecast versions kept (gold.fact_forecast_version)")
    for r in kept:
        vt.add_row(str(r["planning_cycle"]), r["scenario_id"], str(r["n"]), f"{r['n_rows']:,}")
    console.print(vt)

    def pct(v: Any, fmt: str = ".1f") -> str:
        return "-" if v is None else format(v, fmt)

    window = resolve_window(12, None, None, sales_anchor(engine), open_end=True)
    water = wf.waterfall(engine, window=window, filters=DfuFilters(), dfu_ids=[])
    at = Table("lag", "final accuracy %", "baseline accuracy %", "FVA (final - baseline)", "DFU-months",
               title=f"Waterfall: accuracy by lag of what was published (target months from {window.from_month:%Y-%m})")
    for a in water.accuracy_by_lag:
        at.add_row(str(a.lag), pct(a.final.accuracy_pct), pct(a.baseline.accuracy_pct), pct(a.fva, "+.1f"),
                   f"{a.final.n_rows:,}")
    console.print(at)
    with connect(url) as conn:
        value = wf.override_value(engine, conn, by="reason_code", lag=None, limit=50, offset=0)
    ot = Table("reason code", "overrides", "DFU-months x lags", "final accuracy %", "statistical accuracy %",
               "FVA", title="Did touching help? Override value by reason code (actuals known)")
    for v in value.items:
        ot.add_row(v.key, str(v.n_overrides), f"{v.n_rows:,}", pct(v.final_accuracy_pct),
                   pct(v.baseline_accuracy_pct), pct(v.fva, "+.1f"))
    console.print(ot)
