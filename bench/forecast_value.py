"""Forecast value on a finished demo: champion vs legacy vs seasonal naive by lag and segment, the oracle
bound, interval coverage, and the segmentation's adjusted Rand index against the generator's truth.

    uv run python bench/forecast_value.py [--data-dir DIR] [--out bench/results/forecast-value-small.json]

Reads only served tables (gold.*) through the serving engine, plus two evaluation-only sources no job reads:
``landing/_truth/dfu_demand_type.csv`` (the generator's demand type per DFU) and the generator's own world
(rebuilt from ``landing/_manifest.json``: scale, seed, end month) for the oracle -- the expected demand
(signal x promotion effect) that no forecast can know. Its accuracy bounds what any unbiased forecast can reach.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from lakecast.runtime.engine import get_engine
from lakecast.settings import Settings

SAME_ROWS = """
SELECT a.dfu_id, a.fcst_origin, a.target_month, a.lag, a.model_id, a.fcst_qty, a.actual_qty,
       a.fcst_lo_80, a.fcst_hi_80, a.fcst_lo_95, a.fcst_hi_95, d.execution_lag, c.cluster_label
FROM gold.fact_forecast_accuracy a
JOIN gold.dim_dfu d ON d.dfu_id = a.dfu_id
JOIN gold.dfu_cluster_current c ON c.dfu_id = a.dfu_id
WHERE a.is_holdout AND a.model_id IN ('champion', 'external', 'seasonal_naive')
"""


def _acc(d: pd.DataFrame) -> pd.Series:
    ae, a = (d["fcst_qty"] - d["actual_qty"]).abs().sum(), d["actual_qty"].abs().sum()
    return pd.Series({"accuracy_pct": 100 * (1 - ae / a) if a > 0 else np.nan,
                      "wape": ae / a if a > 0 else np.nan,
                      "bias": d["fcst_qty"].sum() / a - 1 if a > 0 else np.nan, "n_rows": len(d)})


def oracle(manifest: dict, rows: pd.DataFrame, dfu: pd.DataFrame) -> dict:
    from lakecast.generate import SCALES, build_world

    end = dt.date.fromisoformat(manifest["end_month"] + "-01")
    w = build_world(SCALES[manifest["scale"]], manifest["seed"], end)
    signal = w.signal[:, :w.n_months]
    mu = np.where(w.intermittent[:, None], signal, signal * w.promo_effect[:, :w.n_months])
    key = pd.DataFrame({"item_id": np.array(w.items.item_id)[w.dfus.item],
                        "location_id": np.array(w.locations.location_id)[w.dfus.location],
                        "i": np.arange(len(w.dfus.item))})
    m = rows.merge(dfu.merge(key, on=["item_id", "location_id"])[["dfu_id", "i"]], on="dfu_id")
    months = pd.date_range(pd.Timestamp(w.start), periods=w.n_months, freq="MS")
    m["fcst_qty"] = mu[m["i"].to_numpy(), pd.Index(months).get_indexer(pd.to_datetime(m["target_month"]))]
    return _acc(m).to_dict()


def _finite(x):
    """NaN/inf (an undefined accuracy, e.g. a segment whose holdout actuals are all zero) -> null: valid JSON."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float | np.floating) and not np.isfinite(x):
        return None
    return x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default="bench/results/forecast-value-small.json")
    args = ap.parse_args()
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    eng = get_engine(settings, serving=False)
    q = lambda sql: pd.DataFrame(eng.query(sql))  # noqa: E731
    d = q(SAME_ROWS)
    for c in ("fcst_qty", "actual_qty", "fcst_lo_80", "fcst_hi_80", "fcst_lo_95", "fcst_hi_95"):
        d[c] = d[c].astype(float)
    ext_keys = d.loc[d["model_id"] == "external", ["dfu_id", "fcst_origin", "lag"]]
    same = d.merge(ext_keys, on=["dfu_id", "fcst_origin", "lag"])  # rows the legacy also has
    ex = same.loc[same["lag"] == same["execution_lag"]]
    out: dict = {"execution_lag": ex.groupby("model_id").apply(_acc, include_groups=False).to_dict("index")}
    out["by_lag"] = {int(k): v for k, v in same.groupby("lag").apply(
        lambda g: g.groupby("model_id").apply(_acc, include_groups=False)["accuracy_pct"].to_dict(),
        include_groups=False).items()}
    out["by_segment"] = {str(k): v for k, v in ex.groupby("cluster_label").apply(
        lambda g: g.groupby("model_id").apply(_acc, include_groups=False)[["accuracy_pct", "bias"]].to_dict("index"),
        include_groups=False).items()}
    ch = d.loc[d["model_id"] == "champion"]

    def covered(g: pd.DataFrame, level: int) -> float:
        return float(((g.actual_qty >= g[f"fcst_lo_{level}"]) & (g.actual_qty <= g[f"fcst_hi_{level}"])).mean())

    out["coverage_by_lag"] = {int(k): {"coverage_80": covered(g, 80), "coverage_95": covered(g, 95)}
                              for k, g in ch.dropna(subset=["fcst_lo_80"]).groupby("lag")}
    landing = Path(settings.data_dir) / "landing"
    manifest = json.loads((landing / "_manifest.json").read_text())
    dfu = q("SELECT dfu_id, item_id, location_id FROM gold.dim_dfu")
    out["oracle_execution_lag"] = oracle(manifest, ex.loc[ex["model_id"] == "external"], dfu)
    truth = pd.read_csv(landing / "_truth" / "dfu_demand_type.csv")
    truth["label"] = truth["demand_type"] + np.where(truth["seasonal"].astype(bool), " seasonal", "")
    seg = q("SELECT c.dfu_id, d.item_id, d.location_id, c.cluster_label FROM gold.dfu_cluster_current c "
            "JOIN gold.dim_dfu d ON d.dfu_id = c.dfu_id").merge(truth, on=["item_id", "location_id"])
    out["segments"] = {"n": int(seg["cluster_label"].nunique()),
                       "adjusted_rand_index": float(adjusted_rand_score(seg["label"], seg["cluster_label"])),
                       "n_dfus": len(seg)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(_finite(out), indent=2, default=float, allow_nan=False))
    print(json.dumps({k: out[k] for k in ("execution_lag", "oracle_execution_lag", "segments", "coverage_by_lag")},
                     indent=1, default=float))


if __name__ == "__main__":
    main()
