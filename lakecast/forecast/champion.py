"""Champion selection per DFU, combination, ceiling (oracle) and forecast value added (FVA).

Input: the long backtest frame of :func:`lakecast.forecast.backtest.backtest_frame`.

* Competition at one lag (``config.lag``: an int, or ``"execution_lag"`` -> ``config.execution_lag``), or
  pooled over every lag with ``lag="all"`` (used by the M3 benchmark: selection over the whole horizon).
* The champion of a DFU is the competing model with the best ``config.metric`` over the DFU's rows at that
  lag in the SELECTION timeframes (ties -> earlier model in ``config.models``). It is then scored on LATER
  HOLDOUT timeframes. Windows must satisfy: every selection target month <= the earliest holdout origin
  (the actuals were known when the holdout forecasts were made), hence the target months are disjoint.
  Default windows: holdout = the last ``n_holdout`` timeframes; selection = every earlier timeframe whose
  target month at the lag is <= the first holdout origin.
* A model needs ``min_rows`` scored selection rows to compete for a DFU. If the metric is undefined for every
  model of a DFU (e.g. WAPE with all-zero actuals) the DFU is ranked by MAE instead; with no eligible model
  at all the champion is ``config.fallback_model``.
* Ceiling (oracle): per DFU-month the competing model with the smallest absolute error -- an unreachable
  upper bound. ``gap_to_ceiling = accuracy(ceiling) - accuracy(model)`` in accuracy points.
* FVA: ``accuracy_pct(model) - accuracy_pct(baseline)`` on the same rows (baseline = seasonal naive), and
  ``- accuracy_pct(external)`` when an external/legacy forecast is given.
* ``combo_mean``: the plain mean of ``config.combo_members`` (rows where all members exist); ``combo_how =
  "median"`` takes the median instead (robust to one bad member, as in Petropoulos & Svetunkov's SCUM).
* ``top_k``: per DFU, the mean of the ``top_k`` competing models with the best selection-window metric
  (``top_k_id``, default ``combo_topk``). Like the champion it is chosen on the selection window and therefore
  only produced for the holdout timeframes.
* ``scope="global"``: one champion for every DFU -- the competing model with the best metric pooled over all
  selection rows (a less noisy choice than per DFU when each DFU has few selection rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lakecast.forecast import metrics as M

KEYS = ["unique_id", "fcst_origin", "target_month", "lag"]


@dataclass(frozen=True)
class CompetitionConfig:
    metric: str = "wape"
    lag: int | str = "execution_lag"
    execution_lag: int = 2
    min_rows: int = 3
    models: tuple[str, ...] | None = None  # competing models; None = every model in the frame
    selection_timeframes: tuple[str, ...] | None = None
    holdout_timeframes: tuple[str, ...] | None = None
    n_holdout: int = 2
    fallback_model: str = "seasonal_naive"
    baseline_model: str = "seasonal_naive"
    combo_members: tuple[str, ...] | None = None
    combo_id: str = "combo_mean"
    combo_how: str = "mean"  # mean | median of the members
    top_k: int | None = None  # also build the per-DFU mean of the k best models on the selection window
    top_k_id: str = "combo_topk"
    scope: str = "dfu"  # dfu: per DFU | cluster: per group (``groups``), pooled | global: one for every DFU
    intermittent_metric: str = "rmsse"  # metric of groups flagged intermittent (see run_competition groups=)

    def resolved_lag(self) -> int | None:
        """The competition lag; None means every lag pooled (``lag="all"``)."""
        if self.metric not in M.METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; known: {sorted(M.METRICS)}")
        if self.lag == "all":
            return None
        lag = self.execution_lag if self.lag == "execution_lag" else self.lag
        if not isinstance(lag, int | np.integer) or lag < 0:
            raise ValueError(f"lag must be an int >= 0, 'execution_lag' or 'all', got {self.lag!r}")
        return int(lag)


@dataclass
class CompetitionResult:
    selection: pd.DataFrame  # per DFU: champion_model_id, selection_score, ...
    champion: pd.DataFrame  # champion forecasts (model_id 'champion') on the holdout timeframes
    scores: pd.DataFrame  # per model on the holdout at the lag: accuracy, wape, bias, FVA, gap to ceiling
    selection_timeframes: tuple[str, ...]
    holdout_timeframes: tuple[str, ...]
    lag: int | None
    frame: pd.DataFrame = field(repr=False, default=None)  # input + combo + champion + ceiling rows


COMBINE = ("mean", "median")


def add_combo(frame: pd.DataFrame, members, model_id: str = "combo_mean", how: str = "mean") -> pd.DataFrame:
    """Append rows of the mean (or median, ``how``) forecast of ``members`` (only where every member has a
    forecast)."""
    if how not in COMBINE:
        raise ValueError(f"unknown combination {how!r}; known: {COMBINE}")
    members = list(members)
    missing = [m for m in members if m not in set(frame["model_id"])]
    if missing:
        raise ValueError(f"combo members not in frame: {missing}")
    sub = frame.loc[frame["model_id"].isin(members)]
    g = sub.groupby(KEYS, sort=False)
    combo = g.first().reset_index()
    combo["fcst_qty"] = getattr(g["fcst_qty"], how)().to_numpy()
    combo = combo.loc[g["model_id"].nunique().to_numpy() == len(members)]
    combo["model_id"] = model_id
    return pd.concat([frame, combo[frame.columns]], ignore_index=True)


def resolve_windows(frame: pd.DataFrame,
                    config: CompetitionConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(selection timeframes, holdout timeframes), validated: disjoint and known at decision time."""
    lag = config.resolved_lag()
    tf = (frame[["timeframe", "fcst_origin"]].drop_duplicates().sort_values("fcst_origin"))
    if tf["timeframe"].duplicated().any():
        raise ValueError("a timeframe label maps to several origins")
    origin = dict(zip(tf["timeframe"], pd.to_datetime(tf["fcst_origin"]), strict=True))
    lags = sorted(frame["lag"].unique()) if lag is None else [lag]
    targets = {k: {v + pd.DateOffset(months=int(k2) + 1) for k2 in lags} for k, v in origin.items()}
    target = {k: max(v) for k, v in targets.items()}
    order = list(tf["timeframe"])
    hold = tuple(config.holdout_timeframes or order[-config.n_holdout:])
    if config.selection_timeframes is not None:
        sel = tuple(config.selection_timeframes)
    else:
        first_hold = min(origin[t] for t in hold)
        sel = tuple(t for t in order if t not in hold and target[t] <= first_hold)
    unknown = [t for t in (*sel, *hold) if t not in origin]
    if unknown:
        raise ValueError(f"unknown timeframes {unknown}; frame has {order}")
    if not sel or not hold:
        raise ValueError(f"empty window: selection={sel}, holdout={hold} (lag {lag}, timeframes {order})")
    sel_months = set().union(*(targets[t] for t in sel))
    hold_months = set().union(*(targets[t] for t in hold))
    if sel_months & hold_months:
        raise ValueError("selection and holdout target months overlap")
    if max(sel_months) > min(origin[t] for t in hold):
        raise ValueError("selection uses actuals after the first holdout origin (not known at decision time)")
    return sel, hold


def _scored(frame: pd.DataFrame, lag: int | None, timeframes) -> pd.DataFrame:
    keep = frame["timeframe"].isin(timeframes) & frame["y"].notna() & frame["fcst_qty"].notna()
    if lag is not None:
        keep &= frame["lag"] == lag
    return frame.loc[keep]


def rmsse_scales(frame: pd.DataFrame, decision_origin, history: pd.DataFrame | None = None) -> pd.Series:
    """Per DFU (index unique_id) its M5 RMSSE scale (:func:`lakecast.forecast.metrics.rmsse_scale`) from its
    actuals up to ``decision_origin`` (known when the champion is chosen), in month order; NaN where undefined.
    The actuals are ``history`` (unique_id, ds, y: the monthly history, as M5 scales by the whole training
    series) when given, else the actuals in ``frame`` (unique_id, target_month, y: the backtest's months only).
    One scale per DFU for its selection AND holdout rows, as M5 scales the test window by the training data."""
    if history is not None:
        d = history.loc[history["y"].notna(), ["unique_id", "ds", "y"]].rename(columns={"ds": "target_month"})
    else:
        d = frame.loc[frame["y"].notna(), ["unique_id", "target_month", "y"]]
    d = d.assign(unique_id=d["unique_id"].astype(str), target_month=pd.to_datetime(d["target_month"]))
    d = d.loc[d["target_month"] <= pd.Timestamp(decision_origin)]
    d = d.drop_duplicates(["unique_id", "target_month"]).sort_values(["unique_id", "target_month"])
    # vectorised M.rmsse_scale per DFU: squared one-step changes from the first non-zero value on
    y = d["y"].astype(float)
    launched = (y != 0).groupby(d["unique_id"], sort=False).cummax()
    step = y.groupby(d["unique_id"], sort=False).diff()
    both = launched & launched.groupby(d["unique_id"], sort=False).shift(1, fill_value=False)
    sq = (step ** 2).where(both)
    scale = sq.groupby(d["unique_id"], sort=False).mean()
    ids = pd.Index(d["unique_id"].unique(), name=None)
    return scale.reindex(ids).where(lambda v: v > 0).rename("rmsse_scale").astype(float)


def with_rmsse_scale(frame: pd.DataFrame, decision_origin, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` with column ``rmsse_scale`` (:func:`rmsse_scales` at ``decision_origin``) on every row."""
    scales = rmsse_scales(frame, decision_origin, history)
    return frame.assign(rmsse_scale=frame["unique_id"].astype(str).map(scales).astype(float))


def _group_metric(df: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Metric per group (vectorised for the common ones); None/undefined -> NaN; plus n_rows."""
    d = df.assign(ae=(df["fcst_qty"] - df["y"]).abs(), aa=df["y"].abs())
    if metric == "srmse":  # scale = each DFU's mean |actual| over the rows given (the window scored)
        scale = d.groupby("unique_id")["aa"].transform("mean")
        d = d.assign(se=(d["ae"] / scale.where(scale > 0, 1.0)) ** 2)
    if metric == "rmsse":  # per-row M5 scale fixed at the decision origin (with_rmsse_scale)
        if "rmsse_scale" not in d.columns:
            raise ValueError("metric 'rmsse' needs a rmsse_scale column (with_rmsse_scale: each DFU's M5 scale "
                             "from its actuals up to the decision origin)")
        d = d.assign(sq_sc=d["ae"] ** 2 / d["rmsse_scale"].where(d["rmsse_scale"] > 0))
    if metric == "mase":  # per-row scale: in-sample seasonal-naive MAE up to the row's origin (M.scaled_mae)
        if "mase_scale" not in d.columns:
            raise ValueError("metric 'mase' needs a mase_scale column (the series' in-sample seasonal-naive MAE "
                             "as of each origin)")
        d = d.assign(sc_ae=d["ae"] / d["mase_scale"].where(d["mase_scale"] > 0))
    g = d.groupby(by, sort=True)
    out = g.agg(n_rows=("y", "size"), sae=("ae", "sum"), saa=("aa", "sum"), sf=("fcst_qty", "sum"),
                sa=("y", "sum"))
    with np.errstate(all="ignore"):
        wape = (out["sae"] / out["saa"]).where(out["saa"] > 0)
        if metric == "wape":
            out["score"] = wape
        elif metric == "mae":
            out["score"] = out["sae"] / out["n_rows"]
        elif metric == "accuracy_pct":
            out["score"] = (100 * (1 - wape)).clip(lower=0)
        elif metric == "abs_bias":
            out["score"] = (out["sf"] / out["sa"] - 1).abs().where(out["sa"] != 0)
        elif metric == "srmse":
            out["score"] = np.sqrt(g["se"].mean())
        elif metric == "mase":
            out["score"] = g["sc_ae"].mean()
        elif metric == "rmsse":
            out["score"] = np.sqrt(g["sq_sc"].mean())
        else:
            fn = M.METRICS[metric][0]
            vals = g.apply(lambda x: fn(x["y"].to_numpy(), x["fcst_qty"].to_numpy()), include_groups=False)
            out["score"] = pd.to_numeric(vals, errors="coerce")
    out["mae"] = out["sae"] / out["n_rows"]
    return out.reset_index()


def selection_scores(frame: pd.DataFrame, config: CompetitionConfig, selection_timeframes=None) -> pd.DataFrame:
    """Per DFU and competing model: the metric on the selection window (``score``), ``n_rows``,
    ``metric_used`` (MAE where the metric is undefined for every model of the DFU), a sort ``key`` (lower is
    better) and the model's ``rank`` in ``config.models`` (tie-break). Models below ``min_rows`` are left out."""
    lag = config.resolved_lag()
    sel = selection_timeframes or resolve_windows(frame, config)[0]
    models = list(config.models or sorted(set(frame["model_id"]) - {"champion", "ceiling", "external"}))
    rank = {m: i for i, m in enumerate(models)}
    d = _scored(frame, lag, sel)
    d = d.loc[d["model_id"].isin(models)]
    s = _group_metric(d, ["unique_id", "model_id"], config.metric)
    s = s.loc[s["n_rows"] >= config.min_rows]
    lower = M.METRICS[config.metric][1]
    s["metric_used"] = config.metric
    undefined = s.groupby("unique_id")["score"].transform(lambda x: x.isna().all())
    s.loc[undefined, "score"] = s.loc[undefined, "mae"]
    s.loc[undefined, "metric_used"] = "mae"
    s = s.loc[s["score"].notna()].copy()
    s["key"] = s["score"] if lower or config.metric == "mae" else -s["score"]
    s.loc[undefined.loc[s.index], "key"] = s.loc[undefined.loc[s.index], "score"]
    s["rank"] = s["model_id"].map(rank)
    return s


def _global_best(frame: pd.DataFrame, config: CompetitionConfig, sel, s: pd.DataFrame) -> pd.DataFrame:
    """``s`` restricted to the one model with the best metric pooled over every selection row (ties -> rank)."""
    d = _scored(frame, config.resolved_lag(), sel)
    d = d.loc[d["model_id"].isin(s["model_id"].unique())]
    pooled = _group_metric(d, ["model_id"], config.metric).dropna(subset=["score"])
    if pooled.empty:
        return s.iloc[0:0]
    lower = M.METRICS[config.metric][1] or config.metric == "mae"
    pooled["key"] = pooled["score"] if lower else -pooled["score"]
    pooled["rank"] = pooled["model_id"].map(dict(zip(s["model_id"], s["rank"], strict=False)))
    best = pooled.sort_values(["key", "rank"]).iloc[0]["model_id"]
    return s.loc[s["model_id"] == best]


SCOPES = ("dfu", "cluster", "global")
MIN_GROUP_ROWS = 100  # a segment with fewer pooled selection rows per model takes the all-DFU choice


def _group_best(frame: pd.DataFrame, config: CompetitionConfig, sel, s: pd.DataFrame,
                groups: pd.DataFrame | None) -> pd.DataFrame:
    """Per group of DFUs, the model with the best metric pooled over the group's selection rows, given to every
    member; a group flagged ``intermittent`` is ranked by ``config.intermittent_metric`` instead.

    ``groups``: unique_id, group, intermittent and optionally ``fcst_origin``. With ``fcst_origin`` each
    selection row is pooled into the segment its DFU had AT THAT ROW'S ORIGIN (a DFU that was new two years ago
    and is seasonal now teaches both segments what worked for it then), and membership -- who takes the
    group's model -- is the segment at the latest origin given (the decision origin). A member without selection
    rows of its own (a new item) takes its segment's model rather than the fallback, provided the model made a
    forecast for it."""
    if groups is None:
        raise ValueError("scope 'cluster' needs groups= (unique_id, group, intermittent)")
    d = _scored(frame, config.resolved_lag(), sel)
    d = d.loc[d["model_id"].isin(s["model_id"].unique())]
    if "fcst_origin" in groups.columns:
        gk = groups.assign(fcst_origin=pd.to_datetime(groups["fcst_origin"]))
        decision = gk["fcst_origin"].max()
        g = gk.loc[gk["fcst_origin"] == decision].drop_duplicates("unique_id").set_index("unique_id")
        at_row = gk[["unique_id", "fcst_origin", "group"]].drop_duplicates(["unique_id", "fcst_origin"])
        d = d.assign(fcst_origin=pd.to_datetime(d["fcst_origin"])).merge(
            at_row, on=["unique_id", "fcst_origin"], how="left")
        d["group"] = d["group"].fillna(d["unique_id"].map(g["group"]))
    else:
        g = groups.drop_duplicates("unique_id").set_index("unique_id")
        d = d.assign(group=d["unique_id"].map(g["group"]))
    rank = dict(zip(s["model_id"], s["rank"], strict=False))
    has_fcst = frame[["unique_id", "model_id"]].drop_duplicates()
    keep = []
    for grp, members in g.groupby("group", sort=True):
        metric = config.intermittent_metric if bool(members["intermittent"].iloc[0]) else config.metric
        rows = d.loc[d["group"] == grp]
        per_model = rows.groupby("model_id").size()
        if per_model.empty or per_model.max() < MIN_GROUP_ROWS:
            rows = d  # too few selection rows in the segment (e.g. new items): the choice pooled over every DFU
        pooled = _group_metric(rows, ["model_id"], metric).dropna(subset=["score"])
        if pooled.empty:
            continue
        lower = M.METRICS[metric][1] or metric == "mae"
        pooled["key"] = pooled["score"] if lower else -pooled["score"]
        pooled["rank"] = pooled["model_id"].map(rank)
        best = pooled.sort_values(["key", "rank"]).iloc[0]
        model = best["model_id"]
        able = set(has_fcst.loc[has_fcst["model_id"] == model, "unique_id"])
        ids = [u for u in members.index if u in able]
        own = s.loc[s["unique_id"].isin(ids) & (s["model_id"] == model)]
        missing = sorted(set(ids) - set(own["unique_id"]))
        part = pd.concat([own, pd.DataFrame({"unique_id": missing, "model_id": model, "n_rows": 0,
                                             "score": np.nan, "key": 0.0, "rank": rank.get(model, 0)})],
                         ignore_index=True) if missing else own.copy()
        part["metric_used"] = metric
        keep.append(part)
    return pd.concat(keep, ignore_index=True) if keep else s.iloc[0:0]


def select_champions(frame: pd.DataFrame, config: CompetitionConfig,
                     selection_timeframes=None, groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Champion per DFU on the selection window. Columns: unique_id, champion_model_id, selection_metric,
    selection_score, selection_rows, is_fallback."""
    if config.scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {config.scope!r}")
    sel = selection_timeframes or resolve_windows(frame, config)[0]
    s = selection_scores(frame, config, sel)
    if config.scope == "global":
        s = _global_best(frame, config, sel, s)
    elif config.scope == "cluster":
        s = _group_best(frame, config, sel, s, groups)
    best = s.sort_values(["unique_id", "key", "rank"]).drop_duplicates("unique_id")
    out = pd.DataFrame({"unique_id": sorted(frame["unique_id"].unique())})
    out = out.merge(best[["unique_id", "model_id", "metric_used", "score", "n_rows"]], on="unique_id",
                    how="left")
    out = out.rename(columns={"model_id": "champion_model_id", "metric_used": "selection_metric",
                              "score": "selection_score", "n_rows": "selection_rows"})
    out["is_fallback"] = out["champion_model_id"].isna()
    out["champion_model_id"] = out["champion_model_id"].fillna(config.fallback_model)
    out["selection_metric"] = out["selection_metric"].fillna("none")
    out["selection_rows"] = out["selection_rows"].fillna(0).astype(int)
    return out


def top_k_forecasts(frame: pd.DataFrame, config: CompetitionConfig, k: int, timeframes,
                    selection_timeframes=None, model_id: str = "combo_topk") -> pd.DataFrame:
    """Per DFU, the mean forecast of its ``k`` best competing models on the selection window (fewer if fewer
    are eligible; the fallback model if none), on ``timeframes`` only, relabelled ``model_id``."""
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    s = selection_scores(frame, config, selection_timeframes)
    chosen = s.sort_values(["unique_id", "key", "rank"]).groupby("unique_id", sort=False).head(k)
    ids = pd.DataFrame({"unique_id": sorted(frame["unique_id"].unique())})
    none = ids.loc[~ids["unique_id"].isin(chosen["unique_id"])].assign(model_id=config.fallback_model)
    chosen = pd.concat([chosen[["unique_id", "model_id"]], none], ignore_index=True)
    d = frame.loc[frame["timeframe"].isin(timeframes)].merge(chosen, on=["unique_id", "model_id"], how="inner")
    n_chosen = chosen.groupby("unique_id").size()
    g = d.groupby(KEYS, sort=True)
    out = g.first().reset_index()
    out["fcst_qty"] = g["fcst_qty"].mean().to_numpy()
    out = out.loc[g["model_id"].nunique().to_numpy() == out["unique_id"].map(n_chosen).to_numpy()]
    return out.assign(model_id=model_id)[frame.columns].reset_index(drop=True)


def champion_forecasts(frame: pd.DataFrame, selection: pd.DataFrame, timeframes=None,
                       model_id: str = "champion") -> pd.DataFrame:
    """The champion's rows of ``frame`` (optionally only ``timeframes``) relabelled ``model_id``.
    Works on a forward forecast frame too (no timeframe column needed when ``timeframes`` is None)."""
    d = frame if timeframes is None else frame.loc[frame["timeframe"].isin(timeframes)]
    d = d.merge(selection[["unique_id", "champion_model_id"]], on="unique_id", how="inner")
    d = d.loc[d["model_id"] == d["champion_model_id"]].drop(columns="champion_model_id")
    return d.assign(model_id=model_id).reset_index(drop=True)


def ceiling_forecasts(frame: pd.DataFrame, models, timeframes=None,
                      model_id: str = "ceiling") -> pd.DataFrame:
    """Oracle: per DFU-month-lag the forecast of the model with the smallest absolute error."""
    d = frame.loc[frame["model_id"].isin(list(models)) & frame["y"].notna()]
    if timeframes is not None:
        d = d.loc[d["timeframe"].isin(timeframes)]
    d = d.assign(_ae=(d["fcst_qty"] - d["y"]).abs()).sort_values([*KEYS, "_ae", "model_id"])
    return d.drop_duplicates(KEYS).drop(columns="_ae").assign(model_id=model_id).reset_index(drop=True)


def _external_rows(frame: pd.DataFrame, external: pd.DataFrame) -> pd.DataFrame:
    need = {"unique_id", "target_month", "lag", "fcst_qty"}
    if not need <= set(external.columns):
        raise ValueError(f"external forecast needs columns {sorted(need)}")
    ext = external[list(need)].copy()
    ext["unique_id"] = ext["unique_id"].astype(str)
    ext["target_month"] = pd.to_datetime(ext["target_month"]).dt.to_period("M").dt.to_timestamp()
    keys = frame.drop(columns=["model_id", "fcst_qty"]).drop_duplicates(["unique_id", "fcst_origin", "lag"])
    out = keys.merge(ext, on=["unique_id", "target_month", "lag"], how="inner")
    return out.assign(model_id="external")[frame.columns]


def score_models(frame: pd.DataFrame, lag: int | None, timeframes, baseline: str = "seasonal_naive",
                 ceiling_id: str = "ceiling") -> pd.DataFrame:
    """Pooled holdout scores per model at ``lag``: n_rows, wape, accuracy_pct, bias, fva_vs_<baseline>,
    fva_vs_external (if an 'external' model is present), gap_to_ceiling. Each FVA is computed on the rows
    the two models share."""
    d = _scored(frame, lag, timeframes)
    rows = []
    piv = d.pivot_table(index=KEYS, columns="model_id", values="fcst_qty", aggfunc="first")
    yv = d.drop_duplicates(KEYS).set_index(KEYS)["y"].reindex(piv.index)

    def acc(m, mask):
        return M.accuracy_pct(yv[mask].to_numpy(), piv.loc[mask, m].to_numpy()) if mask.any() else None

    for m in piv.columns:
        ok = piv[m].notna()
        a, f = yv[ok].to_numpy(), piv.loc[ok, m].to_numpy()
        r = {"model_id": m, "n_rows": int(ok.sum()), "wape": M.wape(a, f),
             "accuracy_pct": M.accuracy_pct(a, f), "bias": M.bias(a, f)}
        for ref, col in ((baseline, "fva_vs_baseline"), ("external", "fva_vs_external"),
                         (ceiling_id, "gap_to_ceiling")):
            if ref in piv.columns:
                both = ok & piv[ref].notna()
                ma, mr = acc(m, both), acc(ref, both)
                val = None if ma is None or mr is None else (ma - mr if ref != ceiling_id else mr - ma)
                r[col] = val
        rows.append(r)
    out = pd.DataFrame(rows)
    return out.sort_values("accuracy_pct", ascending=False, na_position="last").reset_index(drop=True)


def run_competition(frame: pd.DataFrame, config: CompetitionConfig | None = None,
                    external: pd.DataFrame | None = None, groups: pd.DataFrame | None = None,
                    history: pd.DataFrame | None = None) -> CompetitionResult:
    """Combo (optional) -> champion selection -> champion (and top-k combo) on holdout -> ceiling -> scores
    with FVA. ``history`` (unique_id, ds, y) gives the RMSSE scales (:func:`rmsse_scales`) when a metric is
    ``rmsse``; without it they come from the frame's own actuals."""
    config = config or CompetitionConfig()
    lag = config.resolved_lag()
    f = frame
    if config.combo_members:
        f = add_combo(f, config.combo_members, config.combo_id, how=config.combo_how)
    sel_tf, hold_tf = resolve_windows(f, config)
    if "rmsse" in (config.metric, config.intermittent_metric) and "rmsse_scale" not in f.columns:
        f = with_rmsse_scale(f, f.loc[f["timeframe"].isin(hold_tf), "fcst_origin"].min(), history)
    competing = list(config.models or sorted(set(f["model_id"]) - {"champion", "ceiling", "external"}))
    cfg = config if config.models else CompetitionConfig(**{**config.__dict__, "models": tuple(competing)})
    selection = select_champions(f, cfg, sel_tf, groups=groups)
    champ = champion_forecasts(f, selection, hold_tf)
    ceiling = ceiling_forecasts(f, competing, hold_tf)
    parts = [f, champ, ceiling]
    if config.top_k:
        parts.append(top_k_forecasts(f, cfg, config.top_k, hold_tf, sel_tf, config.top_k_id))
    if external is not None:
        parts.append(_external_rows(f, external))
    full = pd.concat(parts, ignore_index=True)
    scores = score_models(full, lag, hold_tf, baseline=config.baseline_model)
    hs = _group_metric(_scored(champ, lag, hold_tf), ["unique_id"], config.metric)
    selection = selection.merge(hs[["unique_id", "score"]].rename(columns={"score": "holdout_score"}),
                                on="unique_id", how="left")
    return CompetitionResult(selection, champ, scores, sel_tf, hold_tf, lag, full)


# ------------------------------------------------------------------------ the competition as jobs and API run it
def competition_config(comp, lag: int | str, competing: list[str]) -> CompetitionConfig:
    """:class:`CompetitionConfig` from the typed settings (``lakecast.settings.CompetitionSettings``) at ``lag``."""
    return CompetitionConfig(
        metric=comp.metric, lag=lag, min_rows=comp.min_rows, models=tuple(competing), n_holdout=comp.n_holdout,
        fallback_model=comp.fallback_model, baseline_model=comp.baseline_model,
        combo_members=tuple(comp.combo_members) if comp.combo_members else None, combo_id=COMBO_ID,
        scope=comp.scope, intermittent_metric=comp.intermittent_metric,
    )


COMBO_ID = "combo_mean"


def competition_groups(clusters: pd.DataFrame, decision_origin: pd.Timestamp,
                       every_origin: bool = False) -> pd.DataFrame:
    """Per DFU its segment at ``decision_origin`` (the first holdout origin: when the champion is chosen, data
    <= then) and whether that segment is intermittent / lumpy / dying (ranked by the intermittent metric).
    With ``every_origin`` also the segment at each earlier origin (column ``fcst_origin``), so that selection
    rows are pooled by the segment their DFU had when each was forecast (see :func:`_group_best`)."""
    from lakecast.demand_segments import is_intermittent_label

    origins = pd.to_datetime(clusters["fcst_origin"])
    decision = pd.Timestamp(decision_origin)
    c = clusters.loc[origins <= decision] if every_origin else clusters.loc[origins == decision]
    if not (pd.to_datetime(c["fcst_origin"]) == decision).any():
        raise ValueError(f"no cluster assignments at the decision origin {decision.date()}")
    out = pd.DataFrame({"unique_id": c["unique_id"].astype(str).to_numpy(), "group": c["cluster_label"].to_numpy(),
                        "intermittent": c["cluster_label"].map(is_intermittent_label).to_numpy()})
    if every_origin:
        out["fcst_origin"] = pd.to_datetime(c["fcst_origin"]).to_numpy()
    return out


def compete(backtest: pd.DataFrame, dfu: pd.DataFrame, external: pd.DataFrame | None, comp, competing: list[str],
            clusters: pd.DataFrame | None = None, history: pd.DataFrame | None = None) -> dict:
    """The champion rule, used by the forecast job and the API's what-if alike.

    With ``comp.lag == "execution_lag"`` each DFU competes at its own execution lag (``dfu``: dfu_id,
    execution_lag); with scope ``cluster`` DFUs are grouped by their segment at the first holdout origin
    (``clusters``: unique_id, fcst_origin, cluster_label). Returns selection, pooled holdout scores (each DFU at
    its competition lag) with champion share, holdout and selection timeframes, and the lags used."""
    if comp.lag == "execution_lag":
        exec_lag = dfu.set_index("dfu_id")["execution_lag"].astype(int)
        groups: dict = {int(k): list(v) for k, v in exec_lag.groupby(exec_lag).groups.items()}
    else:
        groups = {comp.lag: list(backtest["unique_id"].unique())}
    selections, frames, lags = [], [], []
    selection_tf: set[str] = set()
    holdout: tuple[str, ...] = ()
    for lag, ids in sorted(groups.items(), key=lambda kv: str(kv[0])):
        part = backtest.loc[backtest["unique_id"].isin(ids)]
        if part.empty:
            continue
        cfg = competition_config(comp, lag, competing)
        member_groups = None
        if comp.scope == "cluster":
            if clusters is None:
                raise ValueError("competition scope 'cluster' needs the cluster assignments")
            probe = add_combo(part, cfg.combo_members, cfg.combo_id, how=cfg.combo_how) if cfg.combo_members else part
            hold = resolve_windows(probe, cfg)[1]
            first_hold = part.loc[part["timeframe"].isin(hold), "fcst_origin"].min()
            member_groups = competition_groups(clusters, pd.Timestamp(first_hold), every_origin=True)
        res = run_competition(part, cfg, external=external, groups=member_groups, history=history)
        holdout = res.holdout_timeframes
        selection_tf |= set(res.selection_timeframes)
        lags.append(res.lag)
        selections.append(res.selection.assign(
            competition_lag=res.lag, selection_timeframes=",".join(res.selection_timeframes),
            holdout_timeframes=",".join(holdout)))
        frames.append(res.frame if res.lag is None else res.frame.loc[res.frame["lag"] == res.lag])
    if not selections:
        raise ValueError("no backtest rows to compete on")
    selection = pd.concat(selections, ignore_index=True)
    scores = score_models(pd.concat(frames, ignore_index=True), None, holdout, baseline=comp.baseline_model)
    share = selection["champion_model_id"].value_counts(normalize=True)
    scores["champion_share"] = scores["model_id"].map(share).fillna(0.0)
    return {"selection": selection, "scores": scores, "holdout": list(holdout), "competing": competing,
            "lags": lags, "selection_timeframes": sorted(selection_tf)}
