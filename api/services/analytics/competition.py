"""The model competition: its stored config (app DB), a what-if re-run on the published backtests, the summary.

* Config: table ``competition_configs`` in the app database (migration 0002; one row per saved version, the
  newest is active; the forecast job reads it with ``lakecast.forecast.competition_store``). Without a stored
  version the config in ``conf/`` (``settings.forecast.competition``) applies. A PUT is validated against
  ``CompetitionSettings`` and the model registry (``lakecast.forecast.models.MODELS``) and audited.
* Run: the champions are recomputed from the stored backtest rows (``gold.fact_forecast_accuracy``) with
  ``lakecast.forecast.champion.run_competition``, exactly as the forecast job does (per execution-lag group of
  DFUs, combo added, legacy forecast for FVA). Nothing is written: the job publishes on its next run.
* Summary: ``gold.model_scores`` (holdout scores, FVA, gap to ceiling) and the champion share of
  ``gold.champion_selection``.
* Detail: ``gold.model_scores_detail`` (per model x lag 0..4 x segment: accuracy, WAPE, bias, 3-month cumulative
  WAPE, FVA vs seasonal naive and the legacy forecast, gap to ceiling, 80/95% interval coverage).

``lakecast.forecast`` imports statsforecast, scikit-learn and the boosting libraries (seconds to import), so
it is imported inside the functions that need it, never when the API starts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from psycopg.types.json import Jsonb

from api.engine import ServingEngine
from api.schemas.analytics import (
    ChampionShare,
    CompetitionConfigOut,
    CompetitionDetail,
    CompetitionRunResult,
    CompetitionSummary,
    ModelScoreDetailOut,
    ModelScoreOut,
    SegmentInfo,
)
from api.services import Invalid, NotFound
from api.services.analytics.common import ACCURACY, DIM_DFU, known_models, known_timeframes
from contracts.app import UserPublic
from contracts.forecast import DERIVED_MODEL_IDS
from lakecast.appdb.audit import write_audit
from lakecast.appdb.db import Conn
from lakecast.settings import CompetitionSettings, Settings

CHAMPIONS = "gold.champion_selection"
SCORES = "gold.model_scores"
EXTERNAL = "gold.fact_external_forecast_monthly"
CLUSTERS = "gold.dfu_cluster"
SALES = "gold.fact_sales_monthly"
#: model ids in the accuracy facts that are outputs of a competition, not competitors
DERIVED_MODELS = DERIVED_MODEL_IDS
COMBO_ID = "combo_mean"
#: sanity bounds of a stored config (a backtest has at most 26 origins A..Z)
MAX_MIN_ROWS = 10_000
MAX_HOLDOUT = 25


# ---------------------------------------------------------------------------------------------- config
AUDIT_ENTITY = "competition_config"
_COLUMNS = "id, config, created_by, created_at"
#: advisory lock key serialising saves (the app role may not LOCK TABLE)
_SAVE_LOCK = 0x1A4EC0C0


def _out(row: dict[str, Any]) -> CompetitionConfigOut:
    return CompetitionConfigOut(config=CompetitionSettings.model_validate(row["config"]), source="stored",
                                version=int(row["id"]), updated_by=row["created_by"], updated_at=row["created_at"])


def _latest(conn: Conn) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {_COLUMNS} FROM competition_configs ORDER BY id DESC LIMIT 1").fetchone()


def get_config(conn: Conn, settings: Settings) -> CompetitionConfigOut:
    """The active config: the newest saved version, else ``settings.forecast.competition`` (conf/)."""
    row = _latest(conn)
    if row is None:
        return CompetitionConfigOut(config=settings.forecast.competition, source="settings", version=None,
                                    updated_by=None, updated_at=None)
    return _out(row)


def validate_config(config: CompetitionSettings, available: list[str] | None = None,
                    timeframes: list[str] | None = None) -> CompetitionSettings:
    """422 unless every model named was backtested (with ``available``) and the windows fit (with ``timeframes``:
    at least one origin must remain for selection). Model ids and the lag range are already checked by the fields'
    types (contracts.forecast.ModelId, lakecast.settings.CompetitionSettings)."""
    problems: list[str] = []
    if config.min_rows > MAX_MIN_ROWS:
        problems.append(f"min_rows must be <= {MAX_MIN_ROWS}, got {config.min_rows}")
    if config.n_holdout > MAX_HOLDOUT:
        problems.append(f"n_holdout must be <= {MAX_HOLDOUT}, got {config.n_holdout}")
    elif timeframes is not None and config.n_holdout >= len(timeframes):
        problems.append(f"n_holdout must leave selection timeframes: {config.n_holdout} of {len(timeframes)} "
                        f"backtest timeframes ({', '.join(timeframes)})")
    named = {
        "models": list(config.models or []),
        "combo_members": list(config.combo_members or []),
        "fallback_model": [config.fallback_model],
        "baseline_model": [config.baseline_model],
    }
    if config.models is not None and not config.models:
        problems.append("models must not be empty (null = every model the job ran)")
    if config.combo_members is not None and len(config.combo_members) < 2:
        problems.append("combo_members needs at least 2 models (null = no combination)")
    for field, ids in named.items():
        if len(set(ids)) != len(ids):
            problems.append(f"{field} has duplicates: {ids}")
        if available is not None:
            missing = [m for m in ids if m not in available]
            if missing:
                problems.append(f"{field}: {missing} not in the published backtests (backtested: "
                                f"{', '.join(available)})")
    if problems:
        raise Invalid("invalid competition config: " + "; ".join(problems))
    return config


def put_config(conn: Conn, settings: Settings, actor: UserPublic, config: CompetitionSettings) -> CompetitionConfigOut:
    """Validate and store ``config`` as the new active version; the audit row (before = the version it replaces,
    or the conf/ settings) commits in the same transaction."""
    validate_config(config)
    value = CompetitionSettings.model_validate(config.model_dump()).model_dump(mode="json")
    with conn.transaction():
        # one save at a time, so each audit row's "before" is exactly the version it replaced
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SAVE_LOCK,))
        before = get_config(conn, settings)
        row = conn.execute(
            f"INSERT INTO competition_configs (config, created_by) VALUES (%s, %s) RETURNING {_COLUMNS}",
            (Jsonb(value), actor.username),
        ).fetchone()
        assert row is not None
        saved = _out(row)
        write_audit(conn, actor=actor.username, action="competition_config.update", entity=AUDIT_ENTITY,
                    entity_id=saved.version, before=before.model_dump(mode="json"), after=saved.model_dump(mode="json"))
    return saved


# ---------------------------------------------------------------------------------------------- run
def competing_models(engine: ServingEngine, settings: Settings) -> list[str]:
    """Backtested models in the order the job ranks ties (its configured model order, then the registry's)."""
    from lakecast.forecast.models import DEFAULT_MODELS, MODELS

    present = [m for m in known_models(engine) if m not in DERIVED_MODELS]
    configured = settings.forecast.models
    order = list(DEFAULT_MODELS) if configured == "default" else list(MODELS) if configured == "all" else list(
        configured)
    order += [m for m in MODELS if m not in order]
    return sorted(present, key=lambda m: (order.index(m) if m in order else len(order), m))


def competition_frames(engine: ServingEngine, models: list[str], lag: Any) -> dict[str, Any]:
    """Backtest rows (long frame of ``champion.run_competition``), DFU execution lags, the legacy forecast."""
    import pandas as pd

    marks = ", ".join("?" for _ in models)
    lag_sql, params = "", list[Any](models)
    if lag == "execution_lag":
        lag_sql = " AND a.lag = d.execution_lag"
    elif lag != "all":
        lag_sql = " AND a.lag = ?"
        params.append(int(lag))
    rows = engine.query(
        "SELECT a.dfu_id AS unique_id, a.timeframe, a.fcst_origin, a.target_month, a.lag, a.model_id, a.fcst_qty, "
        f"a.actual_qty AS y FROM {ACCURACY} a JOIN {DIM_DFU} d ON d.dfu_id = a.dfu_id "
        f"WHERE a.scenario_id = 'backtest' AND a.model_id IN ({marks}){lag_sql}",
        params,
    )
    back = pd.DataFrame(rows, columns=["unique_id", "timeframe", "fcst_origin", "target_month", "lag", "model_id",
                                       "fcst_qty", "y"])
    for col in ("fcst_origin", "target_month"):
        back[col] = pd.to_datetime(back[col])
    back["lag"] = back["lag"].astype(int)
    back[["fcst_qty", "y"]] = back[["fcst_qty", "y"]].astype(float)
    dfu = pd.DataFrame(engine.query(f"SELECT dfu_id, execution_lag FROM {DIM_DFU}"),
                       columns=["dfu_id", "execution_lag"])
    ext = pd.DataFrame(engine.query(f"SELECT dfu_id AS unique_id, target_month, lag, fcst_qty FROM {EXTERNAL}"),
                       columns=["unique_id", "target_month", "lag", "fcst_qty"])
    ext["target_month"] = pd.to_datetime(ext["target_month"])
    clusters = pd.DataFrame(engine.query(
        f"SELECT dfu_id AS unique_id, fcst_origin, cluster_label FROM {CLUSTERS}"),
        columns=["unique_id", "fcst_origin", "cluster_label"])
    clusters["fcst_origin"] = pd.to_datetime(clusters["fcst_origin"])
    # the monthly history: each DFU's RMSSE scale (intermittent segments' metric), as the forecast job takes it
    history = pd.DataFrame(engine.query(f"SELECT dfu_id AS unique_id, month_start AS ds, qty AS y FROM {SALES}"),
                           columns=["unique_id", "ds", "y"])
    history["ds"] = pd.to_datetime(history["ds"])
    history["y"] = history["y"].astype(float)
    return {"backtest": back, "dfu": dfu, "external": ext, "clusters": clusters, "history": history}


def _compete(frames: dict[str, Any], comp: CompetitionSettings, competing: list[str]) -> dict[str, Any]:
    """The job's champion rule (:func:`lakecast.forecast.champion.compete`), on the published backtests."""
    from lakecast.forecast.champion import compete

    try:
        return compete(frames["backtest"], frames["dfu"], frames["external"], comp, competing, frames["clusters"],
                       frames.get("history"))
    except ValueError as exc:
        raise Invalid(f"the competition cannot run with this config: {exc}") from None


def _clean(value: Any) -> Any:
    """NaN -> None (pandas scores), numpy scalars -> Python."""
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value


def run(engine: ServingEngine, conn: Conn, settings: Settings,
        config: CompetitionSettings | None) -> CompetitionRunResult:
    """Recompute the champions from the published backtest rows with ``config`` (default: the active one)."""
    engine.require(ACCURACY, DIM_DFU, EXTERNAL, CLUSTERS)
    start = time.perf_counter()
    source: Literal["request", "stored", "settings"] = "request"
    if config is None:
        active = get_config(conn, settings)
        comp, source = active.config, active.source
    else:
        comp = CompetitionSettings.model_validate(config.model_dump())
    models = competing_models(engine, settings)
    validate_config(comp, available=models, timeframes=known_timeframes(engine))
    competing: list[str] = list(comp.models) if comp.models else list(models)
    if comp.combo_members:
        competing.append(COMBO_ID)
    out = _compete(competition_frames(engine, models, comp.lag), comp, competing)
    selection = out["selection"]
    published = {r["dfu_id"]: r["champion_model_id"] for r in engine.query(
        f"SELECT dfu_id, champion_model_id FROM {CHAMPIONS}")} if engine.available(CHAMPIONS) else {}
    changed = sum(1 for u, m in zip(selection["unique_id"], selection["champion_model_id"], strict=True)
                  if published.get(u) != m)
    return CompetitionRunResult(
        config=comp, source=source, competition_lags=sorted(out["lags"], key=lambda x: (x is None, x or 0)),
        selection_timeframes=out["selection_timeframes"], holdout_timeframes=out["holdout"],
        n_dfus=len(selection), n_fallback=int(selection["is_fallback"].sum()), changed_vs_published=changed,
        champion_share=_shares(selection["champion_model_id"].value_counts().to_dict(), len(selection)),
        scores=[ModelScoreOut.model_validate({k: _clean(v) for k, v in r.items()})
                for r in out["scores"].to_dict("records")],
        seconds=round(time.perf_counter() - start, 3),
    )


def _shares(counts: dict[str, int], total: int) -> list[ChampionShare]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [ChampionShare(model_id=m, n_dfus=int(n), share=n / total if total else 0.0) for m, n in ordered]


# ---------------------------------------------------------------------------------------------- summary
def summary(engine: ServingEngine) -> CompetitionSummary:
    """The published competition: model scores (best accuracy first) and champion share per model."""
    engine.require(SCORES, CHAMPIONS)
    scores = engine.query(f"SELECT * FROM {SCORES} ORDER BY accuracy_pct DESC NULLS LAST, model_id")
    counts = engine.query(
        f"SELECT champion_model_id, count(*) AS n, sum(CASE WHEN is_fallback THEN 1 ELSE 0 END) AS n_fallback "
        f"FROM {CHAMPIONS} GROUP BY champion_model_id"
    )
    windows = engine.query(
        f"SELECT DISTINCT competition_lag, selection_timeframes, holdout_timeframes FROM {CHAMPIONS}"
    )
    total = sum(int(r["n"]) for r in counts)
    lags = sorted({r["competition_lag"] for r in windows}, key=lambda x: (x is None, x or 0))
    return CompetitionSummary(
        run_id=scores[0]["run_id"] if scores else None,
        competition_lags=lags,
        selection_timeframes=sorted({t for r in windows for t in r["selection_timeframes"].split(",") if t}),
        holdout_timeframes=sorted({t for r in windows for t in r["holdout_timeframes"].split(",") if t}),
        n_dfus=total,
        n_fallback=sum(int(r["n_fallback"]) for r in counts),
        champion_share=_shares({r["champion_model_id"]: int(r["n"]) for r in counts}, total),
        scores=[ModelScoreOut.model_validate(r) for r in scores],
    )


# ---------------------------------------------------------------------------------------------- detail
DETAIL = "gold.model_scores_detail"
ALL_SEGMENTS = "all"


def detail(engine: ServingEngine, *, lag: int | None = None, segment: str | None = None,
           model_ids: Sequence[str] | None = None) -> CompetitionDetail:
    """``gold.model_scores_detail`` rows at ``lag`` in ``segment`` for ``model_ids`` (each filter optional), with
    the lags, segments (flagged intermittent by :func:`lakecast.demand_segments.is_intermittent_label`) and
    models the table has. 404 for an unknown segment, 422 for an unknown model."""
    from lakecast.demand_segments import is_intermittent_label

    engine.require(DETAIL)
    keys = engine.query(f"SELECT DISTINCT segment, lag, model_id, run_id FROM {DETAIL}")
    segments = sorted({r["segment"] for r in keys}, key=lambda s: (s != ALL_SEGMENTS, s))
    models = sorted({r["model_id"] for r in keys})
    if segment is not None and segment not in segments:
        raise NotFound(f"unknown segment {segment!r}; known: {', '.join(segments)}")
    unknown = [m for m in model_ids or [] if m not in models]
    if unknown:
        raise Invalid(f"unknown model_id {', '.join(map(repr, unknown))}; known: {', '.join(models)}")
    clauses, params = [], list[Any]()
    if lag is not None:
        clauses.append("lag = ?")
        params.append(lag)
    if segment is not None:
        clauses.append("segment = ?")
        params.append(segment)
    if model_ids:
        clauses.append(f"model_id IN ({', '.join('?' for _ in model_ids)})")
        params.extend(model_ids)
    rows = engine.query(
        f"SELECT * FROM {DETAIL} WHERE {' AND '.join(clauses) or 'TRUE'} "
        f"ORDER BY CASE WHEN segment = '{ALL_SEGMENTS}' THEN 0 ELSE 1 END, segment, lag, model_id",
        params,
    )
    run_ids = sorted({r["run_id"] for r in keys})
    return CompetitionDetail(
        run_id=run_ids[-1] if run_ids else None,
        lags=sorted({int(r["lag"]) for r in keys}),
        segments=[SegmentInfo(segment=s, intermittent=s != ALL_SEGMENTS and is_intermittent_label(s))
                  for s in segments],
        models=models,
        rows=[ModelScoreDetailOut.model_validate({k: _clean(v) for k, v in r.items()}) for r in rows],
    )
