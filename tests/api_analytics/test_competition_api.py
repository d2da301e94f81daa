"""Competition config (Postgres, audited, role-checked, validated), what-if run, summary; and the job's read side
``active_competition_settings``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg
import pytest
from psycopg.rows import dict_row

from lakecast.forecast.competition_store import active_competition_settings
from lakecast.settings import CompetitionSettings

pytestmark = [pytest.mark.integration, pytest.mark.spark]

SCORE_KEYS = ("n_rows", "accuracy_pct", "wape", "bias", "fva_vs_baseline", "fva_vs_external", "gap_to_ceiling",
              "champion_share")


def _close(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and pd.isna(a)):
        return b is None or (isinstance(b, float) and pd.isna(b))
    return b is not None and a == pytest.approx(b, rel=1e-9, abs=1e-9)


def assert_scores(got: list[dict[str, Any]], expected: pd.DataFrame) -> None:
    exp = {r["model_id"]: r for r in expected.to_dict("records")}
    assert {s["model_id"] for s in got} == set(exp)
    for s in got:
        for key in SCORE_KEYS:
            want = exp[s["model_id"]][key]
            assert _close(want, s[key]), f"{s['model_id']}.{key}: {s[key]} != {want}"


@pytest.fixture()
def sql(analytics_pg) -> Any:
    with psycopg.connect(analytics_pg[1], autocommit=True, row_factory=dict_row) as conn:
        yield conn


# ---------------------------------------------------------------------------------------------- summary
def test_summary_equals_published_tables(client, headers, sq, forecast_ready) -> None:
    r = client.get("/competition/summary", headers=headers["viewer"])
    assert r.status_code == 200, r.text
    body = r.json()
    scores = sq("SELECT * FROM gold.model_scores")
    assert_scores(body["scores"], scores)
    acc = [s["accuracy_pct"] for s in body["scores"]]
    assert acc == sorted(acc, reverse=True)
    sel = sq("SELECT * FROM gold.champion_selection")
    counts = sel["champion_model_id"].value_counts()
    assert [(c["model_id"], c["n_dfus"]) for c in body["champion_share"]] == sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert body["n_dfus"] == len(sel) and body["n_fallback"] == int(sel["is_fallback"].sum())
    assert body["holdout_timeframes"] == sorted(set(",".join(sel["holdout_timeframes"]).split(",")))
    assert body["competition_lags"] == sorted(sel["competition_lag"].dropna().astype(int).unique().tolist())
    assert body["run_id"] == scores["run_id"].iloc[0]


# ---------------------------------------------------------------------------------------------- run
def test_run_with_the_job_config_reproduces_the_published_competition(client, headers, sq, app_settings) -> None:
    config = app_settings.forecast.competition.model_dump(mode="json")
    r = client.post("/competition/run", json={"config": config}, headers=headers["planner"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "request" and body["changed_vs_published"] == 0
    sel = sq("SELECT * FROM gold.champion_selection")
    assert body["n_dfus"] == len(sel) and body["n_fallback"] == int(sel["is_fallback"].sum())
    assert body["competition_lags"] == sorted(sel["competition_lag"].dropna().astype(int).unique().tolist())
    assert_scores(body["scores"], sq("SELECT * FROM gold.model_scores"))


def test_run_with_another_config_equals_run_competition_on_spark_rows(client, headers, sq, app_settings) -> None:
    from lakecast.forecast.champion import CompetitionConfig, run_competition
    from lakecast.forecast.models import DEFAULT_MODELS

    comp = app_settings.forecast.competition.model_copy(update={"lag": 0, "metric": "mae", "combo_members": None, "scope": "dfu"})
    r = client.post("/competition/run", json={"config": comp.model_dump(mode="json")}, headers=headers["approver"])
    assert r.status_code == 200, r.text
    body = r.json()
    back = sq("SELECT dfu_id AS unique_id, timeframe, fcst_origin, target_month, lag, model_id, fcst_qty, "
              "actual_qty AS y FROM gold.fact_forecast_accuracy WHERE scenario_id = 'backtest' AND lag = 0 "
              "AND model_id NOT IN ('champion', 'ceiling', 'external', 'combo_mean')")
    for col in ("fcst_origin", "target_month"):
        back[col] = pd.to_datetime(back[col])
    ext = sq("SELECT dfu_id AS unique_id, target_month, lag, fcst_qty FROM gold.fact_external_forecast_monthly")
    # the job's model order (settings: default models) breaks ties, e.g. equal MAE of all-zero forecasts
    order = tuple(m for m in DEFAULT_MODELS if m in set(back["model_id"]))
    res = run_competition(back, CompetitionConfig(
        metric="mae", lag=0, models=order, min_rows=comp.min_rows, n_holdout=comp.n_holdout,
        fallback_model=comp.fallback_model, baseline_model=comp.baseline_model), external=ext)
    share = res.selection["champion_model_id"].value_counts()
    assert {c["model_id"]: c["n_dfus"] for c in body["champion_share"]} == share.to_dict()
    assert body["n_fallback"] == int(res.selection["is_fallback"].sum())
    assert body["competition_lags"] == [0] and body["holdout_timeframes"] == list(res.holdout_timeframes)
    published = sq("SELECT dfu_id, champion_model_id FROM gold.champion_selection")
    mine = dict(zip(res.selection["unique_id"], res.selection["champion_model_id"], strict=True))
    assert body["changed_vs_published"] == sum(mine[d] != m for d, m in zip(
        published["dfu_id"], published["champion_model_id"], strict=True))
    expected = res.scores.assign(champion_share=res.scores["model_id"].map(share / share.sum()).fillna(0.0))
    assert_scores(body["scores"], expected)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"models": ["theta", "nope"]}, "config.models.1: Input should be 'adida'"),
        ({"combo_members": ["theta"]}, "at least 2"),
        ({"lag": 9}, "config.lag.constrained-int: Input should be less than or equal to 4"),
        ({"n_holdout": 12}, "n_holdout must leave selection timeframes"),
        ({"fallback_model": "auto_arima"}, "not in the published backtests"),
        ({"metric": "r2"}, "metric"),
        ({"min_rows": 0}, "min_rows"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_run_validates_the_config(client, headers, config, message) -> None:
    r = client.post("/competition/run", json={"config": config}, headers=headers["admin"])
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]


def test_run_needs_a_contributor_role(client, headers) -> None:
    assert client.post("/competition/run", headers=headers["viewer"]).status_code == 403
    assert client.post("/competition/run", headers=headers["anon"]).status_code == 401


# ---------------------------------------------------------------------------------------------- config
def test_config_defaults_to_conf_then_put_stores_audited_versions(client, headers, sql, app_settings) -> None:
    assert active_competition_settings(app_settings) == app_settings.forecast.competition
    r = client.get("/competition/config", headers=headers["viewer"])
    assert r.status_code == 200
    assert r.json() == {"config": app_settings.forecast.competition.model_dump(mode="json"), "source": "settings",
                        "version": None, "updated_by": None, "updated_at": None}

    new = {"metric": "mae", "lag": 1, "min_rows": 2, "models": ["seasonal_naive", "theta", "lgbm_global"],
           "n_holdout": 2, "fallback_model": "seasonal_naive", "baseline_model": "seasonal_naive",
           "combo_members": ["theta", "lgbm_global"], "scope": "dfu", "intermittent_metric": "srmse"}
    for who in ("viewer", "planner"):
        r = client.put("/competition/config", json=new, headers=headers[who])
        assert r.status_code == 403 and "may not do competition.save" in r.json()["detail"]
    assert sql.execute("SELECT count(*) AS n FROM competition_configs").fetchone()["n"] == 0

    r = client.put("/competition/config", json=new, headers=headers["approver"])
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["source"] == "stored" and first["updated_by"] == "approver" and first["config"] == new
    r = client.put("/competition/config", json={**new, "lag": "execution_lag"}, headers=headers["admin"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["version"] > first["version"] and second["config"]["lag"] == "execution_lag"
    assert client.get("/competition/config", headers=headers["planner"]).json() == second

    audit = sql.execute("SELECT actor, action, entity_id, before, after FROM audit_log "
                        "WHERE entity = 'competition_config' ORDER BY id").fetchall()
    assert [(a["actor"], a["action"], a["entity_id"]) for a in audit] == [
        ("approver", "competition_config.update", str(first["version"])),
        ("admin", "competition_config.update", str(second["version"]))]
    assert audit[0]["before"]["source"] == "settings" and audit[0]["after"]["config"] == new
    assert audit[1]["before"]["version"] == first["version"] and audit[1]["after"]["config"]["lag"] == "execution_lag"

    # the forecast job's read side sees the stored config; a run without a body uses it
    assert active_competition_settings(app_settings) == CompetitionSettings.model_validate(second["config"])
    r = client.post("/competition/run", headers=headers["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "stored" and r.json()["config"] == second["config"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"models": ["nope"]}, "models.0: Input should be 'adida'"),
        ({"models": []}, "must not be empty"),
        ({"models": ["theta", "theta"]}, "duplicates"),
        ({"lag": -1}, "lag.constrained-int: Input should be greater than or equal to 0"),
        ({"lag": "sometimes"}, "lag"),
        ({"baseline_model": "naive"}, "baseline_model: Input should be 'adida'"),
        ({"min_rows": 100_000}, "min_rows must be <= 10000"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_put_validates(client, headers, sql, config, message) -> None:
    before = sql.execute("SELECT count(*) AS n FROM competition_configs").fetchone()["n"]
    r = client.put("/competition/config", json=config, headers=headers["admin"])
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]
    assert sql.execute("SELECT count(*) AS n FROM competition_configs").fetchone()["n"] == before


def test_active_settings_fall_back_when_the_database_is_down(pipeline) -> None:
    # the pipeline's own data dir has no running Postgres: conf/ applies, nothing is started
    assert active_competition_settings(pipeline.settings) == pipeline.settings.forecast.competition
    assert not (pipeline.settings.postgres_dir / "postmaster.pid").exists()


# ---------------------------------------------------------------------------------------------- detail
LEGACY, NAIVE = "external", "seasonal_naive"


def _detail(client, headers, params: Any) -> dict[str, Any]:
    r = client.get("/competition/detail", params=params, headers=headers["viewer"])
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def holdout(sq, forecast_ready) -> pd.DataFrame:
    """Every holdout accuracy row (Spark), with the DFU's segment at the first holdout origin."""
    rows = sq("SELECT dfu_id, model_id, fcst_origin, target_month, lag, fcst_qty, actual_qty, fcst_lo_80, "
              "fcst_hi_80, fcst_lo_95, fcst_hi_95 FROM gold.fact_forecast_accuracy "
              "WHERE scenario_id = 'backtest' AND is_holdout")
    first = rows["fcst_origin"].min()
    seg = sq(f"SELECT dfu_id, cluster_label FROM gold.dfu_cluster WHERE fcst_origin = DATE'{first}'")
    return rows.merge(seg, on="dfu_id", how="left")


def _wape(rows: pd.DataFrame) -> float:
    return float((rows["fcst_qty"] - rows["actual_qty"]).abs().sum() / rows["actual_qty"].abs().sum())


def _acc(wape: float) -> float:
    return max(0.0, 100.0 * (1.0 - wape))


def _shared(rows: pd.DataFrame, model: str, ref: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``model`` and ``ref`` on the DFU-months both have (one lag)."""
    keys = ["dfu_id", "fcst_origin", "target_month"]
    both = rows.loc[rows["model_id"] == model, keys].merge(rows.loc[rows["model_id"] == ref, keys], on=keys)
    pick = lambda m: rows.loc[rows["model_id"] == m].merge(both, on=keys)  # noqa: E731
    return pick(model), pick(ref)


@pytest.mark.parametrize("lag", [0, 1, 2, 3, 4])
def test_detail_champion_vs_legacy_and_naive_equal_the_accuracy_facts(client, headers, holdout, lag) -> None:
    body = _detail(client, headers, {"lag": lag, "segment": "all", "model_id": ["champion", LEGACY, NAIVE]})
    got = {r["model_id"]: r for r in body["rows"]}
    assert set(got) == {"champion", LEGACY, NAIVE}
    assert all(r["lag"] == lag and r["segment"] == "all" for r in body["rows"])
    at = holdout.loc[holdout["lag"] == lag]
    for model, row in got.items():
        own = at.loc[at["model_id"] == model]
        assert row["n_rows"] == len(own) > 0
        assert row["wape"] == pytest.approx(_wape(own), rel=1e-9)
        assert row["accuracy_pct"] == pytest.approx(_acc(_wape(own)), rel=1e-9, abs=1e-9)
        assert row["bias"] == pytest.approx(own["fcst_qty"].sum() / own["actual_qty"].sum() - 1, rel=1e-9, abs=1e-12)
    for ref, col in ((LEGACY, "fva_vs_external"), (NAIVE, "fva_vs_baseline")):
        mine, theirs = _shared(at, "champion", ref)
        assert len(mine) > 0
        assert got["champion"][col] == pytest.approx(_acc(_wape(mine)) - _acc(_wape(theirs)), rel=1e-9, abs=1e-9)
    champ = at.loc[at["model_id"] == "champion"].dropna(subset=["fcst_lo_80"])
    inside = lambda lo, hi: ((champ["actual_qty"] >= champ[lo] - 1e-9) & (champ["actual_qty"] <= champ[hi] + 1e-9))  # noqa: E731
    assert got["champion"]["coverage_80"] == pytest.approx(inside("fcst_lo_80", "fcst_hi_80").mean(), rel=1e-9)
    assert got["champion"]["coverage_95"] == pytest.approx(inside("fcst_lo_95", "fcst_hi_95").mean(), rel=1e-9)
    assert got["champion"]["coverage_80"] <= got["champion"]["coverage_95"]


def test_detail_segment_and_cumulative_wape_equal_the_accuracy_facts(client, headers, holdout) -> None:
    from lakecast.demand_segments import is_intermittent_label

    body = _detail(client, headers, {})
    labels = sorted(holdout["cluster_label"].dropna().unique())
    assert [s["segment"] for s in body["segments"]] == ["all", *labels]
    assert [s["intermittent"] for s in body["segments"]] == [False, *map(is_intermittent_label, labels)]
    assert body["lags"] == [0, 1, 2, 3, 4]
    assert {"champion", LEGACY, NAIVE, "ceiling"} <= set(body["models"])
    assert len(body["rows"]) == len({(r["model_id"], r["lag"], r["segment"]) for r in body["rows"]})

    # the largest segment, champion vs legacy at lag 0 on the shared rows of its DFUs
    seg = holdout["cluster_label"].value_counts().index[0]
    one = _detail(client, headers, {"segment": seg, "lag": 0, "model_id": ["champion"]})
    assert [(r["segment"], r["lag"], r["model_id"]) for r in one["rows"]] == [(seg, 0, "champion")]
    at = holdout.loc[(holdout["lag"] == 0) & (holdout["cluster_label"] == seg)]
    mine, legacy = _shared(at, "champion", LEGACY)
    assert one["rows"][0]["fva_vs_external"] == pytest.approx(_acc(_wape(mine)) - _acc(_wape(legacy)), abs=1e-9)

    # 3-month cumulative WAPE: lags 0..2 summed per DFU and origin (complete triples only)
    champ = holdout.loc[(holdout["model_id"] == "champion") & (holdout["lag"] <= 2)]
    cum = champ.groupby(["dfu_id", "fcst_origin"]).agg(f=("fcst_qty", "sum"), a=("actual_qty", "sum"),
                                                        n=("lag", "nunique"))
    cum = cum.loc[cum["n"] == 3]
    expected = float((cum["f"] - cum["a"]).abs().sum() / cum["a"].sum())
    rows = [r for r in body["rows"] if r["model_id"] == "champion" and r["segment"] == "all"]
    assert len(rows) == 5 and all(r["wape_cum3"] == pytest.approx(expected, rel=1e-9) for r in rows)


def test_detail_serves_the_published_table(client, headers, sq) -> None:
    body = _detail(client, headers, {})
    table = sq("SELECT * FROM gold.model_scores_detail")
    assert len(body["rows"]) == len(table)
    assert body["run_id"] == table["run_id"].iloc[0]
    exp = {(r["model_id"], r["lag"], r["segment"]): r for r in table.to_dict("records")}
    for r in body["rows"]:
        want = exp[(r["model_id"], r["lag"], r["segment"])]
        for key in ("n_rows", "accuracy_pct", "wape", "bias", "srmse", "wape_cum3", "fva_vs_baseline",
                    "fva_vs_external", "gap_to_ceiling", "coverage_80", "coverage_95"):
            assert _close(want[key], r[key]), f"{r['model_id']}/{r['lag']}/{r['segment']}.{key}"


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"lag": 5}, 422, "lag"),
    ({"lag": -1}, 422, "lag"),
    ({"lag": "execution"}, 422, "lag"),
    ({"segment": "no such segment"}, 404, "unknown segment 'no such segment'"),
    ({"segment": ""}, 422, "segment"),
    ({"model_id": "no_such_model"}, 422, "Input should be 'adida'"),
    ({"model_id": "auto_arima"}, 422, "unknown model_id 'auto_arima'"),  # registered, not run
])
def test_detail_rejects_bad_parameters(client, headers, params, status, message) -> None:
    r = client.get("/competition/detail", params=params, headers=headers["viewer"])
    assert r.status_code == status, r.text
    assert message in str(r.json()), r.text


def test_detail_needs_a_login(client, headers) -> None:
    assert client.get("/competition/detail", headers=headers["anon"]).status_code == 401
