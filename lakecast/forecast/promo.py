"""The promotion plan as a known-future input, read as of a forecast origin (pure pandas).

A forecast made at origin month ``o`` (its last month of data, see lakecast/lag.py) may use only the plan
versions published by then: ``published_at <= the last day of o``. Of those, the latest version per
(item_id, promo_month) is what the plan said; a cancelled latest version means no promotion. On a tie
(two versions of one item-month published the same day) the cancellation wins, then the higher discount.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

PLAN_COLUMNS = ("item_id", "promo_month", "discount_pct", "status", "published_at")


def _month_start(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).dt.to_period("M").dt.to_timestamp()


def plan_as_of(plan: pd.DataFrame, origin) -> pd.DataFrame:
    """The plan visible at ``origin``: one row per (item_id, promo_month), its latest version by then."""
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise ValueError(f"promotion plan lacks columns {missing}; expected {list(PLAN_COLUMNS)}")
    cutoff = pd.Timestamp(origin).to_period("M").to_timestamp(how="end").normalize()
    p = plan.loc[:, list(PLAN_COLUMNS)].copy()
    p["published_at"] = pd.to_datetime(p["published_at"])
    p["promo_month"] = _month_start(p["promo_month"]).to_numpy()
    p = p.loc[p["published_at"] <= cutoff]
    p["_cancel"] = (p["status"] == "cancelled").astype(int)
    p = p.sort_values(["item_id", "promo_month", "published_at", "_cancel", "discount_pct"], kind="mergesort")
    return p.drop_duplicates(["item_id", "promo_month"], keep="last").drop(columns="_cancel").reset_index(drop=True)


def planned_discount(
    plan: pd.DataFrame, origin, months: Iterable, items: Iterable[str] | None = None
) -> pd.DataFrame:
    """Planned discount (percent, 0 = no promotion planned) per item_id x target month, as known at ``origin``.

    ``plan`` has the columns of gold.fact_promo_plan (item_id, promo_month, discount_pct, status,
    published_at); ``months`` the target months (any day of the month); ``items`` the items to report
    (default: every item in ``plan``). Returns columns item_id, target_month (month start),
    planned_discount_pct, sorted by item_id then target_month.
    """
    targets = _month_start(list(months)).drop_duplicates().sort_values()
    ids = sorted(set(plan["item_id"]) if items is None else set(items))
    grid = pd.MultiIndex.from_product([ids, targets], names=["item_id", "target_month"]).to_frame(index=False)
    visible = plan_as_of(plan, origin)
    visible = visible.loc[visible["status"] == "planned", ["item_id", "promo_month", "discount_pct"]]
    out = grid.merge(
        visible.rename(columns={"promo_month": "target_month", "discount_pct": "planned_discount_pct"}),
        on=["item_id", "target_month"],
        how="left",
    )
    out["planned_discount_pct"] = out["planned_discount_pct"].fillna(0.0).astype(float)
    return out.sort_values(["item_id", "target_month"], kind="mergesort").reset_index(drop=True)


def dfu_plan(plan: pd.DataFrame, dfu: pd.DataFrame) -> pd.DataFrame:
    """The item-level plan repeated for each DFU of the item: ``unique_id`` + :data:`PLAN_COLUMNS`.

    ``dfu`` has dfu_id, item_id (and optionally ``is_store``: the plan only applies at stores; DCs get none)."""
    d = dfu[["dfu_id", "item_id"] + (["is_store"] if "is_store" in dfu.columns else [])]
    if "is_store" in d.columns:
        d = d.loc[d["is_store"].astype(bool)]
    out = plan.merge(d, on="item_id", how="inner").rename(columns={"dfu_id": "unique_id"})
    return out[["unique_id", *PLAN_COLUMNS]]


def plan_cube(plan: pd.DataFrame | None, ids, months: pd.DatetimeIndex, horizon: int):
    """(N, T, H) array: ``cube[i, t, k]`` = the discount (%) planned for month ``months[t] + k + 1`` as the plan
    stood at the end of month ``months[t]`` (0 = no promotion planned, or the latest version cancelled).

    ``plan`` is DFU-level (:func:`dfu_plan`). Only versions published by the end of the last month of
    ``months`` (the origin) are read, and each anchor month sees only the versions published by its end."""
    import numpy as np

    if plan is None:
        return None
    n, t_n = len(ids), len(months)
    cube = np.zeros((n, t_n, horizon))
    if plan.empty:
        return cube
    p = plan.copy()
    p["published_at"] = pd.to_datetime(p["published_at"])
    pm = _month_start(p["promo_month"]).to_numpy()
    p["promo_month"] = pm
    m0 = months[0].year * 12 + months[0].month - 1
    p["a"] = p["published_at"].dt.year * 12 + p["published_at"].dt.month - 1 - m0  # first anchor that sees it
    p["m"] = p["promo_month"].dt.year * 12 + p["promo_month"].dt.month - 1 - m0
    p = p.loc[p["a"] <= t_n - 1]
    p["row"] = pd.Index(ids).get_indexer(p["unique_id"].astype(str))
    p = p.loc[p["row"] >= 0]
    p["_cancel"] = (p["status"] == "cancelled").astype(int)
    # the version that stands at the end of each publish month: the last one of that month (plan_as_of's order)
    p = p.sort_values(["row", "m", "published_at", "_cancel", "discount_pct"], kind="mergesort")
    p = p.drop_duplicates(["row", "m", "a"], keep="last")
    p["value"] = np.where(p["status"] == "planned", p["discount_pct"].astype(float), 0.0)
    p["a_next"] = p.groupby(["row", "m"])["a"].shift(-1).fillna(t_n).astype(int)
    for r, m, a, a_next, v in zip(p["row"], p["m"], p["a"], p["a_next"], p["value"], strict=True):
        lo, hi = max(a, m - horizon, 0), min(a_next, m, t_n)  # anchors with 0 <= k = m - t - 1 < horizon
        for t in range(lo, hi):
            cube[r, t, m - t - 1] = v
    return cube
