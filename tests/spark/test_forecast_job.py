"""The forecast job on the session pipeline (tiny data): lags, champion windows, accuracy facts, clusters,
leakage through the real Spark path, and MLflow."""

from __future__ import annotations

import pandas as pd
import pytest

from lakecast import lag as lagdef
from lakecast.forecast.backtest import make_origins
from lakecast.forecast.clustering import cluster_dfus
from spark_jobs import forecast as fjob

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def _t(settings, name: str) -> str:
    return f"{settings.catalog.name}.gold.{name}"


def _pdf(spark, settings, sql: str) -> pd.DataFrame:
    return spark.sql(sql.replace("gold.", f"{settings.catalog.name}.gold.")).toPandas()


@pytest.fixture(scope="module")
def result(pipeline):
    res = pipeline.results["forecast"]
    assert res.published
    return res


def test_every_row_obeys_the_lag_definition(spark, pipeline, result):
    s = pipeline.settings
    for table in ("fact_forecast", "fact_forecast_accuracy"):
        bad = spark.sql(f"SELECT count(*) FROM {_t(s, table)} "
                        "WHERE target_month <> add_months(fcst_origin, lag + 1) OR lag < 0").first()[0]
        assert bad == 0, table
    df = _pdf(spark, s, "SELECT DISTINCT timeframe, fcst_origin, lag, target_month FROM gold.fact_forecast")
    for r in df.itertuples():
        assert r.target_month == lagdef.target_month(r.fcst_origin, r.lag)
        assert lagdef.lag_of(r.fcst_origin, r.target_month) == r.lag


def test_origins_are_labelled_a_to_j_and_lags_0_to_4_are_true_forecasts(spark, pipeline, result):
    s = pipeline.settings
    last = spark.sql(f"SELECT max(month_start) FROM {_t(s, 'fact_sales_monthly')}").first()[0]
    expected = make_origins(last, n_origins=10, horizon=5)
    got = _pdf(spark, s, "SELECT DISTINCT timeframe, fcst_origin FROM gold.fact_forecast "
                         "WHERE scenario_id = 'backtest' ORDER BY timeframe")
    assert list(got["timeframe"]) == list("ABCDEFGHIJ")
    assert [pd.Timestamp(d) for d in got["fcst_origin"]] == list(expected["fcst_origin"])
    lags = _pdf(spark, s, "SELECT DISTINCT lag FROM gold.fact_forecast WHERE scenario_id = 'backtest'")
    assert sorted(lags["lag"]) == [0, 1, 2, 3, 4]
    # the same DFU-month forecast from different origins (lags) differs in general
    piv = _pdf(spark, s, "SELECT dfu_id, target_month, lag, fcst_qty FROM gold.fact_forecast "
                         "WHERE scenario_id = 'backtest' AND model_id = 'lgbm_global'")
    spread = piv.groupby(["dfu_id", "target_month"])["fcst_qty"].agg(["nunique", "size"])
    full = spread.loc[spread["size"] == 5]
    assert len(full) > 0 and (full["nunique"] > 1).mean() > 0.5
    fwd = _pdf(spark, s, "SELECT dfu_id, count(*) AS n, min(fcst_origin) AS o, max(fcst_origin) AS o2 "
                         "FROM gold.fact_forecast WHERE scenario_id = 'baseline' AND model_id = 'champion' "
                         "GROUP BY dfu_id")
    assert (fwd["n"] == s.forecast.forward_horizon).all()
    assert (fwd["o"] == last).all() and (fwd["o2"] == last).all()


def test_champion_is_scored_on_months_not_used_to_choose_it(spark, pipeline, result):
    s = pipeline.settings
    sel = _pdf(spark, s, "SELECT * FROM gold.champion_selection")
    dfus = _pdf(spark, s, "SELECT dfu_id, execution_lag FROM gold.dim_dfu")
    assert set(sel["dfu_id"]) == set(dfus["dfu_id"])
    sel = sel.merge(dfus, on="dfu_id")
    assert (sel["competition_lag"] == sel["execution_lag"]).all()  # lag: execution_lag by default
    origins = _pdf(spark, s, "SELECT DISTINCT timeframe, fcst_origin FROM gold.fact_forecast "
                             "WHERE scenario_id = 'backtest'").set_index("timeframe")["fcst_origin"]
    for r in sel.drop_duplicates(["competition_lag", "selection_timeframes", "holdout_timeframes"]).itertuples():
        chosen, held = r.selection_timeframes.split(","), r.holdout_timeframes.split(",")
        assert chosen and held and not set(chosen) & set(held)
        last_chosen_target = max(lagdef.target_month(origins[t], r.competition_lag) for t in chosen)
        first_held_target = min(lagdef.target_month(origins[t], r.competition_lag) for t in held)
        assert last_chosen_target < first_held_target
        # every actual behind the choice was known at the first holdout origin
        assert last_chosen_target <= min(origins[t] for t in held)
    champ = _pdf(spark, s, "SELECT c.dfu_id, c.timeframe, c.fcst_origin, c.target_month, c.fcst_qty, "
                           "c.source_model_id, m.fcst_qty AS source_qty FROM gold.fact_forecast c "
                           "JOIN gold.fact_forecast m ON m.scenario_id = c.scenario_id AND m.dfu_id = c.dfu_id "
                           "AND m.fcst_origin = c.fcst_origin AND m.target_month = c.target_month "
                           "AND m.model_id = c.source_model_id "
                           "WHERE c.scenario_id = 'backtest' AND c.model_id = 'champion'")
    held_all = set(",".join(sel["holdout_timeframes"]).split(","))
    assert set(champ["timeframe"]) == held_all
    assert (champ["fcst_qty"] == champ["source_qty"]).all()
    assert (champ.merge(sel, on="dfu_id").eval("source_model_id == champion_model_id")).all()


def test_accuracy_facts_match_sales_and_model_scores(spark, pipeline, result):
    s = pipeline.settings
    mismatch = spark.sql(f"""
        SELECT count(*) FROM {_t(s, 'fact_forecast_accuracy')} a
        LEFT JOIN {_t(s, 'fact_sales_monthly')} f ON f.dfu_id = a.dfu_id AND f.month_start = a.target_month
        WHERE abs(a.actual_qty - coalesce(f.qty, 0)) > 1e-9 OR abs(a.abs_error - abs(a.fcst_qty - a.actual_qty)) > 1e-9
    """).first()[0]
    assert mismatch == 0
    # the driver-side competition scores equal a pooled WAPE recomputed in Spark SQL from the served facts
    wape = _pdf(spark, s, """
        SELECT a.model_id, sum(a.abs_error) / sum(abs(a.actual_qty)) AS wape, count(*) AS n
        FROM gold.fact_forecast_accuracy a JOIN gold.champion_selection c ON a.dfu_id = c.dfu_id
        WHERE a.is_holdout AND a.lag = c.competition_lag GROUP BY a.model_id""").set_index("model_id")
    scores = _pdf(spark, s, "SELECT * FROM gold.model_scores").set_index("model_id")
    for model_id, row in scores.iterrows():
        assert row["n_rows"] == wape.loc[model_id, "n"], model_id
        assert row["wape"] == pytest.approx(wape.loc[model_id, "wape"], rel=1e-9), model_id
    assert scores.loc["seasonal_naive", "fva_vs_baseline"] == pytest.approx(0.0)
    assert scores.loc["ceiling", "gap_to_ceiling"] == pytest.approx(0.0)
    assert (scores.drop(index=["ceiling", "external"])["gap_to_ceiling"] >= -1e-9).all()
    assert scores["champion_share"].sum() == pytest.approx(1.0)
    assert {"external", "champion", "ceiling", "combo_mean"} <= set(scores.index)


def test_clusters_are_published_and_dim_dfu_carries_the_current_one(spark, pipeline, result):
    s = pipeline.settings
    cur = _pdf(spark, s, "SELECT d.dfu_id, d.cluster_id, d.cluster_label, c.cluster_id AS cid, "
                         "c.cluster_label AS clabel FROM gold.dim_dfu d "
                         "LEFT JOIN gold.dfu_cluster_current c ON c.dfu_id = d.dfu_id")
    assert cur["cid"].notna().all()
    assert (cur["cluster_id"] == cur["cid"]).all() and (cur["cluster_label"] == cur["clabel"]).all()
    prof = _pdf(spark, s, "SELECT * FROM gold.cluster_profile")
    assert prof["n_dfus"].sum() == len(cur) and prof["share"].sum() == pytest.approx(1.0)
    per_origin = _pdf(spark, s, "SELECT timeframe, count(*) AS n, max(CAST(is_current AS int)) AS cur "
                                "FROM gold.dfu_cluster GROUP BY timeframe")
    assert set(per_origin["timeframe"]) == set("ABCDEFGHIJ") | {"forward"}
    assert per_origin.set_index("timeframe").loc["forward", "cur"] == 1


def test_mlflow_run_holds_params_metrics_and_artifacts(pipeline, result):
    import mlflow

    assert result.mlflow_run_id
    mlflow.set_tracking_uri(pipeline.settings.mlflow_tracking_uri)
    run = mlflow.get_run(result.mlflow_run_id)
    assert run.data.tags["lakecast.run_id"] == result.run_id
    assert run.data.params["models"] == ",".join(result.models)
    champ = next(r for r in result.scores if r["model_id"] == "champion")
    assert run.data.metrics["champion.wape"] == pytest.approx(champ["wape"])
    client = mlflow.MlflowClient()
    names = {a.path for a in client.list_artifacts(result.mlflow_run_id)}
    assert {"model_scores.csv", "cluster_profiles.csv", "forecast_vs_actual_lag0.png", "feature_importance.csv",
            "feature_importance.png"} <= names
    fi = pd.read_csv(mlflow.artifacts.download_artifacts(run_id=result.mlflow_run_id,
                                                        artifact_path="feature_importance.csv"))
    assert set(fi["library"]) == {"lightgbm", "xgboost", "catboost"}  # the default set's boosting libraries
    for _, part in fi.groupby("library"):  # gain shares of each library's global model
        assert part["importance"].sum() == pytest.approx(1.0)
    assert "y_lag0" in set(fi["feature"]) and "legacy" in set(fi["feature"])
    # registry: per family, the family's best holdout model under alias `champion`, loadable and usable
    by_acc = {r["model_id"]: r["accuracy_pct"] for r in result.scores}
    for family in ("statsforecast", "lightgbm"):
        version = client.get_model_version_by_alias(f"lakecast-{family}", "champion")
        assert version.run_id == result.mlflow_run_id
        members = [m for m in result.models if fjob.algorithm_of(m) == family]
        assert version.tags["model_id"] == max(members, key=lambda m: by_acc[m])
    model = mlflow.pyfunc.load_model("models:/lakecast-statsforecast@champion")
    history = pd.DataFrame({"unique_id": ["a"] * 30, "ds": pd.date_range("2022-01-01", periods=30, freq="MS"),
                            "y": [float(10 + i % 12) for i in range(30)]})
    out = model.predict(history)
    assert len(out) == pipeline.settings.forecast.forward_horizon and (out["fcst_qty"] >= 0).all()


ALL_FAMILIES = ["seasonal_naive", "croston_optimized", "legacy_vintages", "lgbm_per_cluster", "catboost_transfer",
                "xgb_global"]


def _models_at(spark, settings, inputs, origins, fwd, models):
    clusters = pd.concat([cluster_dfus(inputs["history"], o, seed=0).assignments
                          for o in [*origins["fcst_origin"], fwd]], ignore_index=True)
    clusters["fcst_origin"] = pd.to_datetime(clusters["fcst_origin"])
    raw = fjob.run_models(spark, settings, inputs, origins, fwd, clusters, models)
    return clusters, raw.sort_values(["timeframe", "unique_id", "model_id", "target_month"]).reset_index(drop=True)


def test_no_leakage_through_the_spark_job_for_every_model_family(spark, pipeline):
    """Change actuals, prices, promos, master attributes, legacy forecasts made and promotion plan rows published
    after origin A: everything at A stays identical (clusters, every family's forecasts), a later origin sees
    the change, and a second run is identical."""
    s = pipeline.settings.model_copy(update={"forecast": pipeline.settings.forecast.model_copy(
        update={"ml_params": {"rounds": 8}})})
    inputs = fjob.load_inputs(spark, s)
    fwd = inputs["history"]["ds"].max()
    origins = make_origins(fwd, n_origins=2, horizon=5, step=3)
    cut = origins["fcst_origin"].iloc[0]

    clusters, base = _models_at(spark, s, inputs, origins, fwd, ALL_FAMILIES)
    _, again = _models_at(spark, s, inputs, origins, fwd, ALL_FAMILIES)
    pd.testing.assert_frame_equal(base, again)  # deterministic

    h = inputs["history"].copy()
    after = pd.to_datetime(h["ds"]) > cut
    h.loc[after, "y"] = h.loc[after, "y"] * 3 + 7
    h.loc[after, "price"] = h.loc[after, "price"] * 2
    h.loc[after, "promo"] = 1.0 - h.loc[after, "promo"]
    st = inputs["statics"].copy()
    later = st.assign(valid_from=(cut + pd.offsets.MonthBegin(1)).date(), category="CHANGED", brand="CHANGED")
    st["valid_to"] = [min(v, later["valid_from"].iloc[0]) for v in st["valid_to"]]
    ext = inputs["external"].copy()
    tm = pd.to_datetime(ext["target_month"])
    made_late = (tm.dt.year * 12 + tm.dt.month - 1 - (ext["lag"] + 1)) > (cut.year * 12 + cut.month - 1)
    ext.loc[made_late, "fcst_qty"] *= 5.0  # legacy forecasts made after A
    plan = inputs["promo_plan"].copy()
    published_late = pd.to_datetime(plan["published_at"]) > cut + pd.offsets.MonthEnd(0)
    assert published_late.any() and made_late.any()
    plan.loc[published_late, "discount_pct"] = 95.0
    plan.loc[published_late, "status"] = "planned"
    changed = {**inputs, "history": h, "statics": pd.concat([st, later], ignore_index=True), "external": ext,
               "promo_plan": plan}
    clusters2, alt = _models_at(spark, s, changed, origins, fwd, ALL_FAMILIES)

    at_a = clusters.loc[clusters["fcst_origin"] == cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(at_a, clusters2.loc[clusters2["fcst_origin"] == cut].reset_index(drop=True))
    a0, a1 = base.loc[base["timeframe"] == "A"], alt.loc[alt["timeframe"] == "A"]
    assert set(a0["model_id"]) == set(ALL_FAMILIES)
    pd.testing.assert_frame_equal(a0.drop(columns="y").reset_index(drop=True),
                                  a1.drop(columns="y").reset_index(drop=True))
    b0, b1 = base.loc[base["timeframe"] == "B"], alt.loc[alt["timeframe"] == "B"]
    for model_id in ALL_FAMILIES:  # the later origin does see the change, for every family
        assert not b0.loc[b0["model_id"] == model_id, "fcst_qty"].reset_index(drop=True).equals(
            b1.loc[b1["model_id"] == model_id, "fcst_qty"].reset_index(drop=True)), model_id
