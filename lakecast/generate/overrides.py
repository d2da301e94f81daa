"""Seeded planner overrides for the demo's planning cycles (``lakecast demo --cycles N``, issue 13 item 3).

At each cycle the planners look at the baseline forecast just published and touch a few DFUs, with what a planner
knows at the cycle's origin and nothing more:

- **informed** (reason ``promo``): a promotion the plan says will run (``lakecast.forecast.promo.plan_as_of`` at
  the origin, status planned) in one of the next three target months, on a DFU that has been promoted before. The
  planner sets the month's quantity to the DFU's recent non-promotion level times its own past promotion uplift
  (mean units in promoted months / mean units in the other months, last 24 months <= origin), an absolute quantity.
- **uninformed** (reason ``market_intel`` or ``other``): a DFU drawn at random among those with a forecast, a
  +/-10..35% change over 1-3 months from the first target month: a hunch.

Both are drawn from a seed per cycle (the origin month), so a cycle's overrides are the same on every run. The
demo creates, submits and approves them through the governance service, like planners and an approver in the UI.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakecast.forecast.promo import plan_as_of
from lakecast.lag import add_months

PLANNERS = ("planner", "planner2")
HISTORY_MONTHS = 24
MIN_PROMO_MONTHS = 1
MIN_PLAIN_MONTHS = 3
UPLIFT_RANGE = (1.05, 3.5)


@dataclass(frozen=True)
class PlannedOverride:
    """One override a planner enters at a cycle (fields of contracts.app.OverrideCreate, plus who)."""

    planner: str
    item_id: str
    location_id: str
    start_month: dt.date
    end_month: dt.date
    reason_code: str
    reason_text: str
    new_qty: float | None = None
    pct_change: float | None = None
    informed: bool = False


def _rng(seed: int, origin: dt.date) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"overrides|{origin:%Y-%m}".encode())])


def _uplifts(history: pd.DataFrame, origin: dt.date) -> pd.DataFrame:
    """Per DFU: recent non-promotion level and past promotion uplift, from months <= origin."""
    h = history.assign(month_start=pd.to_datetime(history["month_start"]))
    lo = pd.Timestamp(add_months(origin, -(HISTORY_MONTHS - 1)))
    h = h.loc[(h["month_start"] >= lo) & (h["month_start"] <= pd.Timestamp(origin))]
    h = h.assign(promoted=h["promo_qty"] > 0)
    g = h.groupby(["dfu_id", "promoted"])["qty"].agg(["mean", "size"]).unstack("promoted")
    if True not in g.columns.get_level_values(1) or False not in g.columns.get_level_values(1):
        return pd.DataFrame(columns=["dfu_id", "level", "uplift"])
    out = pd.DataFrame({
        "level": g[("mean", False)], "n_plain": g[("size", False)],
        "promo": g[("mean", True)], "n_promo": g[("size", True)],
    }).dropna()
    out = out.loc[(out["n_promo"] >= MIN_PROMO_MONTHS) & (out["n_plain"] >= MIN_PLAIN_MONTHS) & (out["level"] > 0)]
    out["uplift"] = (out["promo"] / out["level"]).clip(*UPLIFT_RANGE)
    return out.reset_index()[["dfu_id", "level", "uplift"]]


def planner_overrides(baseline: pd.DataFrame, history: pd.DataFrame, plan: pd.DataFrame, origin: dt.date, *,
                      seed: int = 42, n_informed: int | None = None, n_uninformed: int | None = None,
                      ) -> list[PlannedOverride]:
    """The overrides planners enter on the baseline published at ``origin`` (the last month with actuals).

    ``baseline``: dfu_id, item_id, location_id, target_month (the forward forecast); ``history``: dfu_id,
    month_start, qty, promo_qty (gold.fact_sales_monthly); ``plan``: every promotion plan version
    (gold.fact_promo_plan). Default counts: 1% of the DFUs each, at least 3 and at most 25.
    At most one override per DFU, so no two of a cycle overlap.
    """
    dfus = baseline[["dfu_id", "item_id", "location_id"]].drop_duplicates().sort_values("dfu_id")
    default = int(min(25, max(3, round(0.01 * len(dfus)))))
    n_informed = default if n_informed is None else n_informed
    n_uninformed = default if n_uninformed is None else n_uninformed
    rng = _rng(seed, origin)
    first = add_months(origin, 1)
    window = [pd.Timestamp(add_months(origin, k)) for k in (1, 2, 3)]
    out: list[PlannedOverride] = []
    used: set[str] = set()

    visible = plan_as_of(plan, origin) if len(plan) else plan
    if len(visible):
        planned = visible.loc[(visible["status"] == "planned") & visible["promo_month"].isin(window)]
        cand = dfus.merge(planned, on="item_id").merge(_uplifts(history, origin), on="dfu_id")
        if len(cand):
            cand = cand.sort_values(["dfu_id", "promo_month"]).drop_duplicates("dfu_id")
            take = rng.permutation(len(cand))[:n_informed]
            for _, r in cand.iloc[np.sort(take)].iterrows():
                month = pd.Timestamp(r["promo_month"]).date()
                out.append(PlannedOverride(
                    planner=PLANNERS[len(out) % 2], item_id=r["item_id"], location_id=r["location_id"],
                    start_month=month, end_month=month, reason_code="promo", informed=True,
                    new_qty=round(float(r["level"] * r["uplift"]), 1),
                    reason_text=(f"planned promotion {r['discount_pct']:.0f}% off in {month:%Y-%m}; "
                                 f"x{r['uplift']:.2f} on the {r['level']:.0f}-unit level, from past promotions")))
                used.add(r["dfu_id"])

    rest = dfus.loc[~dfus["dfu_id"].isin(used)]
    for i in rng.permutation(len(rest))[:n_uninformed]:
        r = rest.iloc[int(i)]
        pct = float(rng.choice([-1, 1]) * rng.integers(10, 36))
        months = int(rng.integers(1, 4))
        out.append(PlannedOverride(
            planner=PLANNERS[len(out) % 2], item_id=r["item_id"], location_id=r["location_id"],
            start_month=first, end_month=add_months(first, months - 1), pct_change=pct,
            reason_code=str(rng.choice(["market_intel", "other"])),
            reason_text=f"{pct:+.0f}% for {months} month(s): feel from the market, no data behind it"))
    return out
