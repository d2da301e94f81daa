"""Dense per-origin panel: the only way forecasting code sees history.

Every model, feature and cluster in ``lakecast.forecast`` starts from :func:`build_panel`, which cuts the
long Nixtla frame at the origin (``ds <= fcst_origin``) *before* doing anything else. Nothing after the
origin can reach a model because it is dropped here.

Conventions
-----------
* ``ds`` is normalised to the month start.
* Months between a series' first row and the origin that have no row are filled with ``y = 0`` (no sales),
  ``promo = 0`` and the last known ``price`` (forward fill). Months before a series' first row are NaN.
* A series with no row at or before the origin does not exist yet at that origin and is dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REQUIRED = ("unique_id", "ds", "y")
EXOG = ("price", "promo")
ID_LIKE = {"unique_id", "dfu_id", "item_id", "location_id", "customer_id", "valid_from", "valid_to"}


def month_start(value) -> pd.Timestamp:
    """Return ``value`` (str, date, datetime, Timestamp) as a month-start Timestamp."""
    ts = pd.Timestamp(value)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def month_index(ts) -> np.ndarray:
    """Integer month number ``year*12 + month-1`` of a Timestamp / DatetimeIndex / datetime Series."""
    idx = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(ts)))
    return (idx.year * 12 + idx.month - 1).to_numpy()


def to_date(ts) -> dt.date:
    return pd.Timestamp(ts).date()


def normalise_history(history: pd.DataFrame) -> pd.DataFrame:
    """Validate the long frame and return a copy with month-start ``ds`` and float ``y``."""
    missing = [c for c in REQUIRED if c not in history.columns]
    if missing:
        raise ValueError(f"history is missing required columns {missing}; has {list(history.columns)}")
    out = history.copy()
    out["unique_id"] = out["unique_id"].astype(str)
    ds = pd.to_datetime(out["ds"])
    out["ds"] = ds.dt.to_period("M").dt.to_timestamp()
    out["y"] = pd.to_numeric(out["y"], errors="coerce").astype(float)
    if out.duplicated(["unique_id", "ds"]).any():
        raise ValueError("history has duplicate (unique_id, ds) rows after normalising ds to month start")
    return out


@dataclass
class Panel:
    """Dense arrays of one origin's visible history. Row i is series ``ids[i]``; column j is ``months[j]``."""

    ids: np.ndarray  # (N,) str, sorted
    months: pd.DatetimeIndex  # (T,) consecutive month starts, last one == origin
    y: np.ndarray  # (N, T) float, NaN before the series starts
    price: np.ndarray  # (N, T) float, forward-filled, NaN before first known price
    promo: np.ndarray  # (N, T) float, 0 where unknown
    first_idx: np.ndarray  # (N,) int: column of the first observation
    has_price: bool = False
    has_promo: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def origin(self) -> pd.Timestamp:
        return self.months[-1]

    @property
    def n_series(self) -> int:
        return len(self.ids)

    def to_long(self) -> pd.DataFrame:
        """Long frame (unique_id, ds, y) of the observed (non-NaN) cells, for statsforecast."""
        n, t = self.y.shape
        mask = ~np.isnan(self.y)
        rows, cols = np.nonzero(mask)
        return pd.DataFrame(
            {"unique_id": self.ids[rows], "ds": self.months[cols], "y": self.y[rows, cols]}
        )

    def subset(self, keep: np.ndarray) -> Panel:
        keep = np.asarray(keep)
        return Panel(self.ids[keep], self.months, self.y[keep], self.price[keep], self.promo[keep],
                     self.first_idx[keep], self.has_price, self.has_promo, dict(self.extra))


def build_panel(history: pd.DataFrame, origin, min_months: int = 1, normalised: bool = False) -> Panel:
    """Cut ``history`` at ``origin`` (inclusive) and return the dense :class:`Panel`.

    ``min_months`` pads the calendar so that it spans at least that many months (useful for tiny panels).
    """
    origin = month_start(origin)
    df = history if normalised else normalise_history(history)
    df = df.loc[df["ds"] <= origin]
    if df.empty:
        raise ValueError(f"no history at or before origin {origin.date()}")
    ids = np.array(sorted(df["unique_id"].unique()), dtype=object)
    start = min(df["ds"].min(), origin - pd.DateOffset(months=max(min_months, 1) - 1))
    months = pd.date_range(start, origin, freq="MS")
    n, t = len(ids), len(months)
    row = pd.Index(ids).get_indexer(df["unique_id"])
    col = month_index(df["ds"]) - month_index(start)[0]
    y: np.ndarray = np.full((n, t), np.nan)
    y[row, col] = df["y"].to_numpy(dtype=float)
    first_idx = np.full(n, t, dtype=int)
    np.minimum.at(first_idx, row, col)
    started = np.arange(t)[None, :] >= first_idx[:, None]
    y = np.where(started & np.isnan(y), 0.0, y)  # gap months: no sales
    has_price = "price" in df.columns
    price: np.ndarray = np.full((n, t), np.nan)
    if has_price:
        price[row, col] = pd.to_numeric(df["price"], errors="coerce").to_numpy(dtype=float)
        price = _ffill(price)
    has_promo = "promo" in df.columns
    promo = np.zeros((n, t))
    if has_promo:
        promo[row, col] = np.nan_to_num(pd.to_numeric(df["promo"], errors="coerce").to_numpy(dtype=float))
    return Panel(ids, months, y, price, promo, first_idx, has_price, has_promo)


def _ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs along axis 1."""
    mask = np.isnan(a)
    idx = np.where(~mask, np.arange(a.shape[1])[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    out = a[np.arange(a.shape[0])[:, None], idx]
    return out


def actuals_lookup(history: pd.DataFrame, normalised: bool = False) -> pd.DataFrame:
    """(unique_id, ds, y) with gap months inside each series' span filled as 0, for scoring forecasts."""
    df = history if normalised else normalise_history(history)
    last = df["ds"].max()
    first = df.groupby("unique_id")["ds"].min()
    parts = []
    for uid, f in first.items():
        parts.append(pd.DataFrame({"unique_id": uid, "ds": pd.date_range(f, last, freq="MS")}))
    grid = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["unique_id", "ds"])
    out = grid.merge(df[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
    out["y"] = out["y"].fillna(0.0)
    return out


def statics_asof(statics: pd.DataFrame | None, origin) -> pd.DataFrame | None:
    """Static attributes valid at the origin: one row per unique_id.

    With SCD2 columns, a row holds on day d when ``valid_from <= d < valid_to`` (half-open, as in
    ``contracts.silver``); d is the last day of the origin month (the last day whose data is visible).
    A null / out-of-range ``valid_to`` (e.g. 9999-12-31) means open-ended. If several rows hold, the one
    with the latest ``valid_from`` wins. Rows valid only after the origin are never used.
    """
    if statics is None:
        return None
    if "unique_id" not in statics.columns:
        raise ValueError("statics must have a unique_id column")
    s = statics.copy()
    s["unique_id"] = s["unique_id"].astype(str)
    asof = month_start(origin) + pd.offsets.MonthEnd(0)
    if "valid_from" in s.columns:
        vf = pd.to_datetime(s["valid_from"], errors="coerce")
        keep = vf.isna() | (vf <= asof)
        if "valid_to" in s.columns:
            vt = pd.to_datetime(s["valid_to"], errors="coerce")
            keep &= vt.isna() | (vt > asof)
        s = s.loc[keep].assign(_vf=vf[keep].fillna(pd.Timestamp.min))
        s = s.sort_values(["unique_id", "_vf"]).drop_duplicates("unique_id", keep="last").drop(columns="_vf")
    elif s["unique_id"].duplicated().any():
        raise ValueError("statics has several rows per unique_id but no valid_from/valid_to columns")
    return s.drop(columns=[c for c in ("valid_from", "valid_to") if c in s.columns]).reset_index(drop=True)


def static_codes(statics_o: pd.DataFrame | None, ids: np.ndarray) -> tuple[np.ndarray, list[str], list[bool]]:
    """Integer-encode the static columns for the series ``ids`` (row-aligned).

    Encoders are fitted on ALL as-of-origin rows given (not only ``ids``), so that calls on different subsets
    (Spark groups) that receive the same full statics frame get the same codes. Codes are ranks of the sorted
    distinct values (deterministic); unknown / missing = -1. Numeric columns pass through. Id-like columns
    (item_id, location_id, ...) are left out: too many levels for a per-DFU model.
    """
    if statics_o is None or statics_o.empty:
        return np.zeros((len(ids), 0)), [], []
    full = statics_o.set_index("unique_id")
    s = full.reindex(ids)
    cols = [c for c in full.columns if c not in ID_LIKE]
    out = np.full((len(ids), len(cols)), -1.0)
    is_cat = []
    for j, c in enumerate(cols):
        numeric = pd.api.types.is_numeric_dtype(full[c]) and not pd.api.types.is_bool_dtype(full[c])
        is_cat.append(not numeric)
        if numeric:
            out[:, j] = s[c].to_numpy(dtype=float)
            continue
        levels = pd.Index(sorted(full[c].dropna().astype(str).unique()))
        vals = s[c]
        out[:, j] = levels.get_indexer(vals.astype(str).where(vals.notna(), None))
    return out, [f"static_{c}" for c in cols], is_cat
