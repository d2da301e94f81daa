"""gold facts -> clusters, backtests A..J, champion selection, forward forecast (gold forecast tables).

Steps (every one leak-free; see docs/forecasting.md):

1. Read ``gold.fact_sales_monthly`` (the history), SCD2 item/location attributes (statics, applied as of each
   origin), ``gold.dim_dfu`` (execution lag) and the legacy forecast.
2. Origins A..J (``make_origins``) and the forward origin F = the last month of actuals. Clusters are computed
   on the driver once per origin over all DFUs, from data <= that origin only.
3. One Spark pass of ``groupBy(...).applyInPandas`` over grouped data (:mod:`spark_jobs.forecast_tasks`):
   per-series (statistical and legacy) models per DFU hash bucket (all origins per task; the bucket is computed
   by Spark), gradient-boosted models one task per origin over all DFUs (they are global models), plus the
   same for the forward origin. History and legacy forecast go to the workers as rows of the task's group,
   never in a closure. The same job runs in ``local[*]`` and through spark-submit.
4. On the driver: combination, champion per DFU (at each DFU's execution lag by default, chosen on the
   selection window, scored on the later holdout), ceiling, FVA vs seasonal naive and vs the legacy forecast.
5. Gates (not null, unique key, DFU references), then publish: ``fact_forecast`` scenarios ``backtest`` and
   ``baseline`` are replaced in one commit each table (scenario ``final`` is left to the ``final`` job),
   ``dim_dfu`` gets the current cluster, and the dashboards' pre-aggregates are rebuilt from the new accuracy
   facts (spark_jobs/aggregates.py). A failed gate publishes nothing.
6. MLflow: one run with parameters, per-model metrics and artifacts (scores, cluster profiles, a
   forecast-vs-actual plot), when tracking is enabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from contracts.forecast import FORECAST_TABLES, PLANNING_GRAIN
from contracts.gold import GATE_RESULTS, GOLD_TABLES
from lakecast import lag as lagdef
from lakecast.forecast.backtest import make_origins
from lakecast.forecast.champion import add_combo, competition_groups
from lakecast.forecast.champion import compete as core_compete
from lakecast.forecast import intervals
from lakecast.forecast.clustering import cluster_dfus
from lakecast.forecast.promo import dfu_plan
from lakecast.forecast.report import breakdown
from lakecast.forecast.models import DEFAULT_MODELS, FAMILY_NAMES, MODELS
from lakecast.settings import CompetitionSettings, Settings
from spark_jobs import forecast_tasks as tasks_mod
from spark_jobs import aggregates, gates, io, publish, versions

FORWARD = tasks_mod.FORWARD  # timeframe label of the forward (baseline) origin; backtest origins are A..J
bucket_of = tasks_mod.bucket_of
SPECIAL_ALGORITHMS = {"champion": "selection", "ceiling": "oracle", "external": "external"}


@dataclass
class ForecastResult:
    run_id: str
    published: bool
    models: list[str]
    origins: dict[str, str]
    holdout_timeframes: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    gates: list[gates.GateOutcome] = field(default_factory=list)
    snapshots: dict[str, int | None] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    detail: list[dict[str, Any]] = field(default_factory=list)  # gold.model_scores_detail rows
    seconds: dict[str, float] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    tracking_error: str | None = None  # MLflow logging failed (best effort): why; the tables are published anyway


def resolve_model_ids(models: Sequence[str] | str | None) -> list[str]:
    if models is None or models == "default":
        return list(DEFAULT_MODELS)
    if models == "all":
        return list(MODELS)
    ids = [models] if isinstance(models, str) else list(models)
    unknown = [m for m in ids if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model ids {unknown}; known: {sorted(MODELS)}")
    return ids


def algorithm_of(model_id: str) -> str:
    if model_id in SPECIAL_ALGORITHMS:
        return SPECIAL_ALGORITHMS[model_id]
    if model_id in MODELS:
        return FAMILY_NAMES.get(MODELS[model_id].family, MODELS[model_id].family)
    return "ensemble"  # combo models


def model_version(model_ids: list[str], settings: Settings) -> str:
    """Version = package version + a hash of the model set and parameters (changes when either changes)."""
    from importlib.metadata import version

    fc = settings.forecast
    key = repr((sorted(model_ids), fc.seed, fc.season_length, sorted(fc.ml_params.items()), fc.horizon))
    return f"{version('lakecast')}+{hashlib.sha1(key.encode()).hexdigest()[:8]}"


# ---------------------------------------------------------------- inputs (driver, pandas)
def load_inputs(spark: SparkSession, settings: Settings) -> dict[str, pd.DataFrame]:
    """History, statics (SCD2 item x location attributes), DFU keys and execution lag, legacy forecast."""
    cat = settings.catalog.name
    # pd.DataFrame annotations: pyspark types toPandas() with an alias mypy cannot resolve without pandas stubs
    monthly: pd.DataFrame = history_df(spark, settings).toPandas()
    if monthly.empty:
        raise RuntimeError("gold.fact_sales_monthly is empty: run the gold job first (lakecast run pipeline)")
    dfu: pd.DataFrame = spark.table(f"{cat}.gold.dim_dfu").select("dfu_id", "item_id", "location_id", "execution_lag").toPandas()
    item = spark.table(f"{cat}.gold.dim_item").select(
        "item_id", "category", "brand", "supplier", "valid_from", "valid_to").toPandas()
    loc: pd.DataFrame = spark.table(f"{cat}.gold.dim_location").select(
        "location_id", "region", "location_type", "valid_from", "valid_to").toPandas()
    external = external_df(spark, settings).toPandas()
    # every plan version; read it as of an origin with lakecast.forecast.promo (published_at <= origin month end)
    promo_plan = spark.table(f"{cat}.gold.fact_promo_plan").select(
        "item_id", "promo_month", "discount_pct", "status", "published_at").toPandas()
    # the plan per DFU: promotions run at stores, so DCs get no plan rows (current location type)
    current_type = loc.sort_values("valid_from").drop_duplicates("location_id", keep="last")
    is_store = dfu.merge(current_type[["location_id", "location_type"]], on="location_id", how="left")
    is_store["is_store"] = is_store["location_type"].fillna("store").str.lower() != "dc"
    return {"history": monthly, "dfu": dfu, "statics": dfu_statics(dfu, item, loc), "external": external,
            "promo_plan": dfu_plan(promo_plan, is_store)}


def history_df(spark: SparkSession, settings: Settings) -> DataFrame:
    """The history in Nixtla's long format (``unique_id, ds, y`` + price, promo share) from gold."""
    return spark.table(f"{settings.catalog.name}.gold.fact_sales_monthly").select(
        F.col("dfu_id").alias("unique_id"), F.col("month_start").alias("ds"), F.col("qty").alias("y"),
        F.col("avg_price").alias("price"),
        F.when(F.col("qty") > 0, F.col("promo_qty") / F.col("qty")).otherwise(F.lit(0.0)).alias("promo"),
    )


def external_df(spark: SparkSession, settings: Settings) -> DataFrame:
    """The legacy forecast per DFU, target month and lag, from gold."""
    return spark.table(f"{settings.catalog.name}.gold.fact_external_forecast_monthly").select(
        F.col("dfu_id").alias("unique_id"), "target_month", "lag", "fcst_qty")


def dfu_statics(dfu: pd.DataFrame, item: pd.DataFrame, loc: pd.DataFrame) -> pd.DataFrame:
    """One row per DFU per period in which neither its item's nor its location's attributes changed.

    The SCD2 periods of item and location are intersected, so ``statics_asof`` picks, at each origin, the
    attributes valid then (never a later value).
    """
    d = dfu[["dfu_id", "item_id", "location_id"]]
    x = d.merge(item, on="item_id").merge(loc, on="location_id", suffixes=("_i", "_l"))
    # python dates, not Timestamps: the open end 9999-12-31 is outside pandas' nanosecond range
    x["valid_from"] = [max(a, b) for a, b in zip(x["valid_from_i"], x["valid_from_l"], strict=True)]
    x["valid_to"] = [min(a, b) for a, b in zip(x["valid_to_i"], x["valid_to_l"], strict=True)]
    x = x.loc[x["valid_from"] < x["valid_to"]]
    return x.rename(columns={"dfu_id": "unique_id"})[
        ["unique_id", "category", "brand", "supplier", "region", "location_type", "valid_from", "valid_to"]
    ].reset_index(drop=True)


@contextmanager
def _task_progress(spark: SparkSession, progress: Callable | None, n_tasks: int) -> Iterator[None]:
    """Report finished model tasks every few seconds while the Spark job runs (long on real data)."""
    if progress is None:
        yield
        return
    tracker = spark.sparkContext.statusTracker()
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(3.0):
            done = 0
            for sid in tracker.getActiveStageIds():
                info = tracker.getStageInfo(sid)
                if info is not None and info.numTasks == n_tasks:
                    done = info.numCompletedTasks
            progress("forecast", f"models: {done}/{n_tasks} tasks done")

    thread = threading.Thread(target=poll, name="forecast-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def run_models(spark: SparkSession, settings: Settings, inputs: dict[str, pd.DataFrame], origins: pd.DataFrame,
               forward_origin: pd.Timestamp, clusters: pd.DataFrame, model_ids: list[str],
               progress: Callable | None = None, history: DataFrame | None = None,
               external: DataFrame | None = None) -> pd.DataFrame:
    """Every model at every origin, as Spark tasks over grouped data (:mod:`spark_jobs.forecast_tasks`).

    ``history`` / ``external``: Spark frames of the history and the legacy forecast (the job passes the gold
    tables, :func:`history_df` / :func:`external_df`); None = made from ``inputs``' pandas frames (tests that
    change the inputs). Statics, plan and clusters (per DFU) always come from the driver frames."""
    stat_ids = [m for m in model_ids if MODELS[m].strategy == "local"]  # one fit per series: DFU buckets
    ml_ids = [m for m in model_ids if MODELS[m].strategy != "local"]  # global / cluster models: all DFUs
    n_buckets = settings.forecast.stat_buckets
    tasks = tasks_mod._tasks(list(origins["timeframe"]), stat_ids, ml_ids, n_buckets)
    frame = partial(tasks_mod.spark_frame, spark)
    sources = tasks_mod.TaskInputs(
        history=history if history is not None else frame("history", inputs["history"]),
        external=external if external is not None else frame("external", inputs["external"]),
        statics=frame("statics", inputs["statics"]), promo_plan=frame("promo_plan", inputs["promo_plan"]),
        clusters=frame("clusters", clusters))
    runner = tasks_mod.make_task_runner(tasks, origins, forward_origin, stat_ids, ml_ids, settings)
    grouped = tasks_mod.task_frame(spark, sources, tasks, origins, forward_origin, n_buckets)
    out = grouped.groupBy("pkey").applyInPandas(runner, tasks_mod.TASK_SCHEMA)
    with _task_progress(spark, progress, len(tasks)):
        pdf: pd.DataFrame = out.toPandas()
    pdf["fcst_origin"] = pd.to_datetime(pdf["fcst_origin"])
    pdf["target_month"] = pd.to_datetime(pdf["target_month"])
    return pdf


# ---------------------------------------------------------------- competition (driver)
def compete(backtest: pd.DataFrame, dfu: pd.DataFrame, external: pd.DataFrame, comp: CompetitionSettings,
            model_ids: list[str], clusters: pd.DataFrame | None = None,
            history: pd.DataFrame | None = None) -> dict[str, Any]:
    """Champion per DFU (the core rule, :func:`lakecast.forecast.champion.compete`), after checking that the
    config only names models this run produced."""
    missing = [m for m in [*(comp.combo_members or []), *(comp.models or []), comp.baseline_model,
                           comp.fallback_model] if m not in model_ids]
    if missing:
        raise ValueError(f"competition config refers to models the job did not run: {sorted(set(missing))}; "
                         f"ran: {model_ids}")
    competing: list[str] = list(comp.models) if comp.models else list(model_ids)
    if comp.combo_members:
        competing.append("combo_mean")
    return core_compete(backtest, dfu, external, comp, competing, clusters, history)


# ---------------------------------------------------------------- assemble the tables
def _lineage(df: pd.DataFrame, dfu: pd.DataFrame, scenario: str, run_id: str, version: str) -> pd.DataFrame:
    keys = dfu.rename(columns={"dfu_id": "unique_id"})[["unique_id", "item_id", "location_id"]]
    out = df.merge(keys, on="unique_id", how="left").rename(columns={"unique_id": "dfu_id"})
    out["scenario_id"] = scenario
    out["algorithm_id"] = out["model_id"].map(algorithm_of)
    out["model_version"] = version
    out["run_id"] = run_id
    out["planning_grain"] = PLANNING_GRAIN
    return out


def build_tables(raw: pd.DataFrame, comp: dict[str, Any], inputs: dict[str, pd.DataFrame], clusters: pd.DataFrame,
                 profiles: pd.DataFrame, origins: pd.DataFrame, forward_origin: pd.Timestamp,
                 settings: Settings, run_id: str, version: str) -> dict[str, pd.DataFrame]:
    dfu = inputs["dfu"]
    cfg = settings.forecast.competition
    selection = comp["selection"]
    holdout = set(comp["holdout"])
    back = raw.loc[raw["timeframe"] != FORWARD].copy()
    fwd = raw.loc[raw["timeframe"] == FORWARD].drop(columns="y").copy()
    if cfg.combo_members:
        back = add_combo(back, cfg.combo_members, "combo_mean")
        fwd = add_combo(fwd, cfg.combo_members, "combo_mean")
    back, fwd = _with_intervals(back, fwd, clusters)
    champ_map = selection.set_index("unique_id")["champion_model_id"]
    # backtest champion: only on the holdout timeframes (chosen on earlier ones)
    bsel = back.loc[back["timeframe"].isin(holdout) & (back["model_id"] == back["unique_id"].map(champ_map))]
    champ_back = bsel.assign(source_model_id=bsel["model_id"], model_id="champion")
    fsel = fwd.loc[fwd["model_id"] == fwd["unique_id"].map(champ_map)]
    champ_fwd = fsel.assign(source_model_id=fsel["model_id"], model_id="champion")
    competing = comp["competing"]
    cand = back.loc[back["model_id"].isin(competing) & back["timeframe"].isin(holdout) & back["y"].notna()]
    cand = cand.assign(_ae=(cand["fcst_qty"] - cand["y"]).abs()).sort_values(
        ["unique_id", "fcst_origin", "target_month", "lag", "_ae", "model_id"])
    ceil = cand.drop_duplicates(["unique_id", "fcst_origin", "target_month", "lag"]).drop(columns="_ae")
    ceiling = ceil.assign(source_model_id=ceil["model_id"], model_id="ceiling")
    back_all = pd.concat([back.assign(source_model_id=None), champ_back, ceiling], ignore_index=True)
    fwd_all = pd.concat([fwd.assign(source_model_id=None), champ_fwd], ignore_index=True)

    fact_cols = list(FORECAST_TABLES["fact_forecast"].model.model_fields)
    b = _lineage(back_all, dfu, "backtest", run_id, version)
    f = _lineage(fwd_all, dfu, "baseline", run_id, version)
    fact = pd.concat([b, f], ignore_index=True).assign(override_id=None)[fact_cols]

    # accuracy: every backtest row with an actual, plus the legacy forecast on the same DFU/origin/lag
    acc = back_all.loc[back_all["y"].notna()]
    ext = inputs["external"].copy()
    ext["target_month"] = pd.to_datetime(ext["target_month"])
    keys = back.drop_duplicates(["unique_id", "fcst_origin", "lag"])[
        ["unique_id", "timeframe", "fcst_origin", "target_month", "lag", "y", "cluster_id"]]
    ext_rows = keys.merge(ext, on=["unique_id", "target_month", "lag"], how="inner").assign(model_id="external")
    acc = pd.concat([acc, ext_rows], ignore_index=True)
    first_hold = back.loc[back["timeframe"].isin(holdout), "fcst_origin"].min()
    segments = competition_groups(clusters, pd.Timestamp(first_hold)).rename(columns={"group": "segment"})
    detail = breakdown(acc, holdout, segments, baseline=cfg.baseline_model,
                       history=inputs["history"]).assign(run_id=run_id)
    detail = detail[list(FORECAST_TABLES["model_scores_detail"].model.model_fields)]
    acc = _lineage(acc, dfu, "backtest", run_id, version)
    acc["actual_qty"] = acc["y"]
    acc["abs_error"] = (acc["fcst_qty"] - acc["y"]).abs()
    acc["is_holdout"] = acc["timeframe"].isin(holdout)
    acc = acc[list(FORECAST_TABLES["fact_forecast_accuracy"].model.model_fields)]

    tf_of = dict(zip(origins["fcst_origin"], origins["timeframe"], strict=True))
    tf_of[forward_origin] = FORWARD
    dc = clusters.rename(columns={"unique_id": "dfu_id"}).copy()
    dc["timeframe"] = dc["fcst_origin"].map(tf_of)
    dc["is_current"] = dc["fcst_origin"] == forward_origin
    dc["run_id"] = run_id
    current = dc.loc[dc["is_current"], ["dfu_id", "cluster_id", "cluster_label", "fcst_origin", "run_id"]]
    prof = profiles.assign(run_id=run_id)[list(FORECAST_TABLES["cluster_profile"].model.model_fields)]

    hold = _holdout_wape(back_all, selection, holdout)
    sel = selection.rename(columns={"unique_id": "dfu_id"}).merge(hold, on="dfu_id", how="left")
    sel["holdout_rows"] = sel["holdout_rows"].fillna(0).astype(int)
    sel["run_id"] = run_id
    sel = sel[list(FORECAST_TABLES["champion_selection"].model.model_fields)]

    scores = comp["scores"].copy()
    scores["algorithm_id"] = scores["model_id"].map(algorithm_of)
    scores["competition_lag"] = None if cfg.lag in ("execution_lag", "all") else int(cfg.lag)
    scores["run_id"] = run_id
    for c in FORECAST_TABLES["model_scores"].model.model_fields:
        if c not in scores.columns:
            scores[c] = None
    scores = scores[list(FORECAST_TABLES["model_scores"].model.model_fields)]
    return {"fact_forecast": fact, "fact_forecast_accuracy": acc, "dfu_cluster": dc[
        list(FORECAST_TABLES["dfu_cluster"].model.model_fields)], "dfu_cluster_current": current,
        "cluster_profile": prof, "champion_selection": sel, "model_scores": scores,
        "model_scores_detail": detail}


def _with_intervals(back: pd.DataFrame, fwd: pd.DataFrame,
                    clusters: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """80/95% conformal intervals on every backtest and forward row (lakecast.forecast.intervals), per model x
    lag x segment, each origin calibrated on residuals whose actual was known at that origin."""
    seg = clusters[["unique_id", "fcst_origin", "cluster_label"]].rename(columns={"cluster_label": "segment"})
    seg = seg.assign(fcst_origin=pd.to_datetime(seg["fcst_origin"]))
    b = back.merge(seg, on=["unique_id", "fcst_origin"], how="left")
    f = fwd.merge(seg, on=["unique_id", "fcst_origin"], how="left")
    scored = b.loc[b["y"].notna()]
    return (intervals.by_origin(b, scored).drop(columns="segment"),
            intervals.by_origin(f, scored).drop(columns="segment"))


def _holdout_wape(back_all: pd.DataFrame, selection: pd.DataFrame, holdout: set[str]) -> pd.DataFrame:
    """Champion WAPE per DFU on the holdout at its competition lag (pooled over its rows there)."""
    lag_of = selection.set_index("unique_id")["competition_lag"]
    ch = back_all.loc[(back_all["model_id"] == "champion") & back_all["y"].notna()
                      & back_all["timeframe"].isin(holdout)]
    lag = ch["unique_id"].map(lag_of)
    ch = ch.loc[lag.isna() | (ch["lag"] == lag)]
    g = ch.assign(ae=(ch["fcst_qty"] - ch["y"]).abs(), a=ch["y"].abs()).groupby("unique_id")
    out = pd.DataFrame({"ae": g["ae"].sum(), "a": g["a"].sum(), "holdout_rows": g.size()}).reset_index()
    out["holdout_wape"] = np.where(out["a"] > 0, out["ae"] / out["a"].where(out["a"] > 0, 1.0), np.nan)
    return out.rename(columns={"unique_id": "dfu_id"})[["dfu_id", "holdout_wape", "holdout_rows"]]


# ---------------------------------------------------------------- job
def run(spark: SparkSession, settings: Settings, progress=None, models: list[str] | str | None = None,
        competition: CompetitionSettings | None = None) -> ForecastResult:
    """Cluster, backtest, choose champions, forecast forward; gate and publish the forecast tables."""
    fc = settings.forecast
    comp_cfg = competition or _active_competition(settings)
    model_ids = resolve_model_ids(models if models is not None else fc.models)
    run_id = f"forecast-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    version = model_version(model_ids, settings)
    secs: dict[str, float] = {}
    publish.recover(spark, settings, "forecast", progress)

    def step(name: str, t0: float) -> None:
        secs[name] = round(time.perf_counter() - t0, 2)
        if progress:
            progress("forecast", name)

    t0 = time.perf_counter()
    inputs = load_inputs(spark, settings)
    forward_origin = inputs["history"]["ds"].max()
    forward_origin = pd.Timestamp(forward_origin).to_period("M").to_timestamp()
    origins = make_origins(forward_origin, n_origins=fc.n_origins, horizon=fc.horizon)
    step("inputs", t0)

    t0 = time.perf_counter()
    assignments, current_profiles = [], None
    for o in [*origins["fcst_origin"], forward_origin]:
        res = cluster_dfus(inputs["history"], o, seed=fc.seed, season_length=fc.season_length, method=fc.clustering)
        assignments.append(res.assignments)
        if o == forward_origin:
            current_profiles = res.profiles
    clusters = pd.concat(assignments, ignore_index=True)
    clusters["fcst_origin"] = pd.to_datetime(clusters["fcst_origin"])
    step("clusters", t0)

    t0 = time.perf_counter()
    raw = run_models(spark, settings, inputs, origins, forward_origin, clusters, model_ids, progress,
                     history=history_df(spark, settings), external=external_df(spark, settings))
    step("models", t0)

    t0 = time.perf_counter()
    back = raw.loc[raw["timeframe"] != FORWARD]
    comp = compete(back, inputs["dfu"], inputs["external"], comp_cfg, model_ids, clusters, inputs["history"])
    tables = build_tables(raw, comp, inputs, clusters, current_profiles, origins, forward_origin,
                          _with_competition(settings, comp_cfg), run_id, version)
    step("champion", t0)

    result = ForecastResult(run_id=run_id, published=False, models=model_ids,
                            origins={r.timeframe: str(r.fcst_origin.date()) for r in origins.itertuples()}
                            | {FORWARD: str(forward_origin.date())},
                            holdout_timeframes=comp["holdout"], seconds=secs)
    result.scores = tables["model_scores"].to_dict("records")
    result.detail = tables["model_scores_detail"].to_dict("records")

    t0 = time.perf_counter()
    sdfs = {name: _to_spark(spark, name, df) for name, df in tables.items()}
    outcomes, counts = evaluate(spark, settings, sdfs)
    result.gates, result.rows = outcomes, counts
    checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    io.append(spark, settings, GATE_RESULTS,
              spark.createDataFrame(gates.result_rows(run_id, outcomes, checked_at), io.spark_schema(GATE_RESULTS)))
    failed = [g for g in outcomes if not g.passed]
    if failed:
        publish.publish(spark, settings, "forecast", run_id, [GATE_RESULTS.fqn])  # the failure is served, nothing else
        raise gates.GateFailure(failed, run_id)
    step("gates", t0)

    t0 = time.perf_counter()
    for name, sdf in sdfs.items():
        spec = FORECAST_TABLES[name]
        where = F.col("scenario_id").isin("backtest", "baseline") if name == "fact_forecast" else None
        result.snapshots[name] = io.overwrite(spark, settings, spec, sdf, where=where)
    result.snapshots["dim_dfu"] = _update_dim_dfu_clusters(spark, settings)
    agg = aggregates.refresh(spark, settings, "forecast", run_id, progress=progress)  # from the tables just written
    result.snapshots |= agg.snapshots
    result.rows |= agg.rows
    result.gates += agg.gates
    try:  # kept as a version (spark_jobs/versions.py); its gates block the publish like the job's own
        result.snapshots |= versions.record(spark, settings, "baseline", run_id)
    except gates.GateFailure:
        publish.publish(spark, settings, "forecast", run_id, [GATE_RESULTS.fqn])
        raise
    publish.publish(spark, settings, "forecast", run_id)  # last step: the forecast tables become visible together
    result.published = True
    step("publish", t0)

    if settings.mlflow.enabled:
        tables["feature_importance"] = _feature_importance(inputs, clusters, forward_origin, model_ids, settings)
    result.mlflow_run_id = _log_mlflow(settings, result, tables, comp_cfg, fc)
    return result


def _feature_importance(inputs: dict[str, pd.DataFrame], clusters: pd.DataFrame, origin: pd.Timestamp,
                        model_ids: list[str], settings: Settings) -> pd.DataFrame:
    """Gain importance of each gradient-boosted library's global model at the forward origin, lag 0."""
    from lakecast.forecast.backtest import feature_importance_at

    fc = settings.forecast
    libs = sorted({MODELS[m].family for m in model_ids if MODELS[m].family in ("lgbm", "xgb", "catboost")})
    parts = [feature_importance_at(inputs["history"], origin, lib, statics=inputs["statics"], clusters=clusters,
                                   seed=fc.seed, season_length=fc.season_length, ml_params=fc.ml_params,
                                   external=inputs["external"], promo_plan=inputs["promo_plan"])
             .assign(library=FAMILY_NAMES[lib]) for lib in libs]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["feature", "importance", "library"])


def _active_competition(settings: Settings) -> CompetitionSettings:
    """The competition config stored through the API if there is one, else the one in conf/."""
    from lakecast.forecast.competition_store import active_competition_settings

    return active_competition_settings(settings)


def _with_competition(settings: Settings, comp: CompetitionSettings) -> Settings:
    return settings.model_copy(update={"forecast": settings.forecast.model_copy(update={"competition": comp})})


def _to_spark(spark: SparkSession, name: str, df: pd.DataFrame) -> DataFrame:
    spec = FORECAST_TABLES[name]
    schema = io.spark_schema(spec)
    pdf = df.copy()
    for f in schema.fields:
        t = f.dataType.simpleString()
        if t == "date":
            pdf[f.name] = pd.to_datetime(pdf[f.name]).dt.date
        elif t in ("int", "bigint"):
            pdf[f.name] = pdf[f.name].astype("Int64") if f.nullable else pdf[f.name].astype("int64")
        elif t == "double":
            pdf[f.name] = pdf[f.name].astype("float64")
        elif t == "string":
            pdf[f.name] = pdf[f.name].astype(object).where(pdf[f.name].notna(), None)
        elif t == "boolean":
            pdf[f.name] = pdf[f.name].astype(bool)
    return spark.createDataFrame(pdf[[f.name for f in schema.fields]], schema)


def evaluate(spark: SparkSession, settings: Settings,
             tables: dict[str, DataFrame]) -> tuple[list[gates.GateOutcome], dict[str, int]]:
    outcomes: list[gates.GateOutcome] = []
    counts: dict[str, int] = {}
    dim_dfu = io.read(spark, settings, GOLD_TABLES["dim_dfu"])
    for name, df in tables.items():
        spec = FORECAST_TABLES[name]
        df = io.conform(df, spec)
        counts[name] = df.count()
        outcomes.append(gates.not_null(spec, df))
        outcomes.append(gates.unique_key(spec, df))
        outcomes += gates.finite_and_bounded(spec, df, settings.quality.max_abs_value)
        for column, ref in spec.references.items():
            outcomes.append(gates.referential(spec, df, column, dim_dfu, ref.split(".")[-1], ref))
    return outcomes, counts


def _update_dim_dfu_clusters(spark: SparkSession, settings: Settings) -> int | None:
    """Set gold.dim_dfu's current cluster columns (one MERGE commit)."""
    cat = settings.catalog.name
    spark.sql(f"""
        MERGE INTO {cat}.gold.dim_dfu t
        USING {cat}.gold.dfu_cluster_current s ON t.dfu_id = s.dfu_id
        WHEN MATCHED THEN UPDATE SET t.cluster_id = s.cluster_id, t.cluster_label = s.cluster_label
    """)
    return io.snapshot_id(spark, settings, GOLD_TABLES["dim_dfu"])


def _log_mlflow(settings: Settings, result: ForecastResult, tables: dict[str, pd.DataFrame],
                comp: CompetitionSettings, fc) -> str | None:
    from lakecast import tracking

    return tracking.log_forecast_run(settings, result, tables, comp, fc)


# keep lagdef imported for readers: the lag definition every table here follows
_ = lagdef.target_month
