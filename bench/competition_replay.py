"""Replay the champion rule offline on a finished demo's published backtest, and report by segment.

``uv run python bench/competition_replay.py --data-dir DIR`` reads the backtest rows of every model, the DFUs'
execution lags, the legacy forecast and the segment assignments from gold (the same frames the API's what-if
uses), runs :func:`lakecast.forecast.champion.compete` with the configured competition, and prints the champion
vs the legacy vs the seasonal naive on the holdout at each DFU's execution lag, overall and per segment, the
segment being the DFU's AT THE FIRST HOLDOUT ORIGIN (the grouping the competition itself uses; the forecast-value
benchmark groups by the current segment instead). Rows: those the legacy also has. Per segment: accuracy %,
bias %, ``srmse`` and ``rmsse`` (M5; the intermittent segments' selection metric, lakecast.forecast.metrics) --
so a change of the rule can be tried on stored backtests in seconds instead of rerunning the 10-minute forecast job.

``--without MODEL`` drops a model from the competition (e.g. ``--without legacy_asis`` shows what it adds).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from api.engine import ServingEngine
from api.services.analytics.competition import competing_models, competition_frames
from lakecast import kpi
from lakecast.forecast import metrics as M
from lakecast.forecast.champion import add_combo, compete, with_rmsse_scale
from lakecast.runtime.engine import get_engine
from lakecast.settings import Settings


def _scores(g: pd.DataFrame) -> pd.Series:
    ae, a = (g["fcst_qty"] - g["y"]).abs(), g["y"].abs()
    scale = g.groupby("unique_id")["y"].transform(lambda x: x.abs().mean())  # as the competition scales srmse
    b = kpi.bias(g["fcst_qty"].sum(), g["y"].sum())
    return pd.Series({"accuracy_pct": kpi.accuracy_pct(kpi.wape(ae.sum(), a.sum())),
                      "bias_pct": np.nan if b is None else 100 * b,
                      "srmse": M.srmse(g["y"], g["fcst_qty"], scale),
                      "rmsse": M.rmsse(g["y"], g["fcst_qty"], g["rmsse_scale"]), "n_rows": len(g)})


def replay(frames: dict, comp, competing: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    out = compete(frames["backtest"], frames["dfu"], frames["external"], comp, competing, frames["clusters"],
                  frames["history"])
    b, d, e, c = frames["backtest"], frames["dfu"], frames["external"], frames["clusters"]
    f = add_combo(b, comp.combo_members, "combo_mean") if comp.combo_members else b
    first = pd.to_datetime(b.loc[b["timeframe"].isin(out["holdout"]), "fcst_origin"]).min()
    f = with_rmsse_scale(f, first, frames["history"])  # each DFU's M5 scale from its history up to then
    f = f.loc[f["timeframe"].isin(out["holdout"])].merge(d.rename(columns={"dfu_id": "unique_id"}), on="unique_id")
    f = f.loc[f["lag"] == f["execution_lag"]]
    sel = out["selection"][["unique_id", "champion_model_id"]]
    champ = f.merge(sel, left_on=["unique_id", "model_id"], right_on=["unique_id", "champion_model_id"])
    keys = f.drop_duplicates(["unique_id", "fcst_origin", "lag"]).drop(columns=["fcst_qty", "model_id"])
    legacy = keys.merge(e, on=["unique_id", "target_month", "lag"]).assign(model_id="external")
    rows = pd.concat([f.loc[f["model_id"] == "seasonal_naive"], champ.assign(model_id="champion")[f.columns],
                      legacy[f.columns]], ignore_index=True)
    rows = rows.loc[rows.groupby(["unique_id", "fcst_origin", "lag"])["model_id"].transform("nunique") == 3]
    seg = c.loc[pd.to_datetime(c["fcst_origin"]) == first].set_index("unique_id")["cluster_label"]
    rows["segment"] = rows["unique_id"].map(seg).fillna("(no segment)")
    overall = rows.groupby("model_id").apply(_scores, include_groups=False)
    by_seg = rows.groupby(["segment", "model_id"]).apply(_scores, include_groups=False)
    return overall, by_seg, out["selection"]["champion_model_id"].value_counts()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--without", action="append", default=[], help="leave this model out of the competition")
    args = ap.parse_args()
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = ServingEngine(get_engine(settings), settings)
    models = [m for m in competing_models(engine, settings) if m not in args.without]
    comp = settings.forecast.competition
    frames = competition_frames(engine, models, "all")
    competing = models + (["combo_mean"] if comp.combo_members else [])
    overall, by_seg, share = replay(frames, comp, competing)
    pd.set_option("display.width", 160)
    print(f"models: {', '.join(competing)}")
    print("holdout at each DFU's execution lag, rows the legacy also has:")
    print(overall.round(3).to_string())
    print("\nby segment at the first holdout origin:")
    print(by_seg.unstack("model_id").round(3).to_string())
    print("\nchampion share (DFUs):", share.to_dict())


if __name__ == "__main__":
    main()
