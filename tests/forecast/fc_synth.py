"""Tiny synthetic panels for the forecasting-core tests (fast: ~20 DFUs x 48 months)."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2020-01-01")
N_MONTHS = 48
GROUPS = ("seasonal", "intermittent", "trending", "new")
# few trees / short windows: these tests check plumbing, leakage and determinism, not accuracy
FAST_ML = {"rounds": 12, "transfer_rounds": 4, "min_rows": 30, "train_window": 12, "min_child": 5}


def make_history(n_per_group: int = 5, n_months: int = N_MONTHS, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n_months)
    ds = pd.date_range(START, periods=n_months, freq="MS")
    rows = []
    for g in GROUPS:
        for i in range(n_per_group):
            if g == "seasonal":
                y = 800 * (1 + 0.5 * np.sin(2 * np.pi * t / 12 + i)) * rng.lognormal(0, 0.05, n_months)
            elif g == "intermittent":
                y = (rng.random(n_months) < 0.25) * rng.integers(1, 6, n_months).astype(float)
            elif g == "trending":
                y = 60 * (1 + 0.06 * t) * rng.lognormal(0, 0.05, n_months)
            else:  # launched 8 months before the end
                y = np.r_[np.full(n_months - 8, np.nan), rng.poisson(30, 8).astype(float)]
            price = 10 + rng.normal(0, 0.5, n_months)
            promo = rng.uniform(0, 0.3, n_months)
            df = pd.DataFrame({"unique_id": f"{g[:3]}_{i:02d}", "ds": ds, "y": y, "price": price,
                               "promo": promo})
            rows.append(df.dropna(subset=["y"]))
    return pd.concat(rows, ignore_index=True)


def make_statics(history: pd.DataFrame) -> pd.DataFrame:
    ids = sorted(history["unique_id"].unique())
    return pd.DataFrame({
        "unique_id": ids,
        "item_id": [f"item{i}" for i in range(len(ids))],
        "category": [f"cat{i % 3}" for i in range(len(ids))],
        "brand": [f"brand{i % 2}" for i in range(len(ids))],
        "valid_from": pd.Timestamp("2019-01-01"),
        "valid_to": pd.Timestamp("2262-01-01"),
    })
