"""MLflow tracking for Lakecast jobs (local sqlite backend + file artifacts by default, a server in compose).

One MLflow run per job run; its run name is the Lakecast run id that the Iceberg rows carry (``run_id``
columns), so a table row leads to its MLflow run and back (tag ``lakecast.run_id``).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from lakecast.settings import Settings

log = logging.getLogger("lakecast.tracking")

EXPERIMENT = "lakecast-forecast"
CHAMPION_ALIAS = "champion"


def _mlflow(settings: Settings):
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        location = settings.mlflow_artifact_location
        if "://" not in location:
            Path(location).mkdir(parents=True, exist_ok=True)
            location = Path(location).resolve().as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    mlflow.set_experiment(EXPERIMENT)
    return mlflow


def _metric_key(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-/" else "_" for c in text)


def forecast_plot(accuracy: pd.DataFrame, path: Path, lag: int = 0) -> Path:
    """Total actual vs forecast per target month at ``lag`` (backtest), one line per model, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = accuracy.loc[accuracy["lag"] == lag]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    # one origin per target month at a fixed lag: sum over DFUs
    actual = d.drop_duplicates(["dfu_id", "target_month"]).groupby("target_month")["actual_qty"].sum()
    ax.plot(actual.index, actual.values, color="black", linewidth=2.5, label="actual")
    for model_id, g in d.groupby("model_id"):
        s = g.groupby("target_month")["fcst_qty"].sum()
        ax.plot(s.index, s.values, linewidth=1, label=model_id)
    ax.set_title(f"Backtest: total units, actual vs forecast at lag {lag}")
    ax.legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def importance_plot(fi: pd.DataFrame, path: Path, top: int = 15) -> Path:
    """Horizontal bars of the top features per gradient-boosted library (share of gain)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    libs = sorted(fi["library"].unique())
    fig, axes = plt.subplots(1, len(libs), figsize=(5 * len(libs), 5), squeeze=False)
    for ax, lib in zip(axes[0], libs, strict=True):
        d = fi.loc[fi["library"] == lib].nlargest(top, "importance").iloc[::-1]
        ax.barh(d["feature"], d["importance"])
        ax.set_title(f"{lib}: gain share (global model, lag 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def log_forecast_run(
    settings: Settings, result: Any, tables: dict[str, pd.DataFrame], comp: Any, fc: Any
) -> str | None:
    """Log the forecast job: parameters, per-model holdout metrics, artifacts. Returns the MLflow run id.

    Tracking problems never fail the job (the tables are already published): the error is logged as a warning and
    kept in ``result.tracking_error``, which the run record (pipeline_runs.details) carries.
    """
    if not settings.mlflow.enabled:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _log_forecast_run(settings, result, tables, comp, fc)
    except Exception as exc:  # best effort whatever MLflow raises (store, artifacts, registry): logged and recorded
        result.tracking_error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("MLflow logging failed (%s); the forecast tables are published", result.tracking_error)
        return None


def _log_forecast_run(settings: Settings, result: Any, tables: dict[str, pd.DataFrame], comp: Any, fc: Any) -> str:
    mlflow = _mlflow(settings)
    with mlflow.start_run(
        run_name=result.run_id, tags={"lakecast.run_id": result.run_id, "lakecast.job": "forecast"}
    ) as run:
        mlflow.log_params(
            {
                "models": ",".join(result.models),
                "n_origins": fc.n_origins,
                "horizon": fc.horizon,
                "forward_horizon": fc.forward_horizon,
                "seed": fc.seed,
                "season_length": fc.season_length,
                "ml_params": json.dumps(fc.ml_params, sort_keys=True),
                "origins": json.dumps(result.origins),
                "holdout_timeframes": ",".join(result.holdout_timeframes),
                **{
                    f"competition.{k}": json.dumps(v) if isinstance(v, list | dict) else v
                    for k, v in comp.model_dump().items()
                },
            }
        )
        metrics: dict[str, float] = {}
        for row in result.scores:
            for key in (
                "accuracy_pct",
                "wape",
                "bias",
                "fva_vs_baseline",
                "fva_vs_external",
                "gap_to_ceiling",
                "champion_share",
            ):
                value = row.get(key)
                if value is not None and pd.notna(value):
                    metrics[_metric_key(f"{row['model_id']}.{key}")] = float(value)
        metrics.update({f"rows.{k}": float(v) for k, v in result.rows.items()})
        metrics.update({f"seconds.{k}": float(v) for k, v in result.seconds.items()})
        mlflow.log_metrics(metrics)
        clusters = tables["cluster_profile"]
        mlflow.log_metric("clusters.k", float(len(clusters)))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            tables["model_scores"].to_csv(out / "model_scores.csv", index=False)
            clusters.to_csv(out / "cluster_profiles.csv", index=False)
            tables["champion_selection"]["champion_model_id"].value_counts().rename_axis("model_id").rename(
                "dfus"
            ).to_csv(out / "champion_share.csv")
            forecast_plot(tables["fact_forecast_accuracy"], out / "forecast_vs_actual_lag0.png", lag=0)
            fi = tables.get("feature_importance")
            if fi is not None and not fi.empty:
                fi.to_csv(out / "feature_importance.csv", index=False)
                importance_plot(fi, out / "feature_importance.png")
            mlflow.log_artifacts(str(out))
        if settings.mlflow.register_models:
            register_family_champions(mlflow, result, fc)
        return run.info.run_id


def register_family_champions(mlflow: Any, result: Any, fc: Any) -> dict[str, str]:
    """Per model family, register the family's best model on the holdout as ``lakecast-<family>`` (e.g.
    ``lakecast-lightgbm``) and point
    its ``champion`` alias at the new version. Returns {family: "model_id v<version>"}."""
    import mlflow.pyfunc
    from mlflow import MlflowClient

    from lakecast.forecast.models import FAMILY_NAMES, MODELS
    from lakecast.forecast.pyfunc import LakecastForecaster

    client = MlflowClient()
    best: dict[str, dict[str, Any]] = {}
    for row in result.scores:
        spec = MODELS.get(row["model_id"])
        acc = row.get("accuracy_pct")
        if spec is None or acc is None or pd.isna(acc):
            continue
        if spec.family not in best or acc > best[spec.family]["accuracy_pct"]:
            best[spec.family] = row
    out = {}
    for family, row in sorted(best.items()):
        name = f"lakecast-{FAMILY_NAMES.get(family, family)}"
        info = mlflow.pyfunc.log_model(
            name=f"model-{family}",
            python_model=LakecastForecaster(row["model_id"], fc.forward_horizon, fc.seed, fc.season_length,
                                            fc.ml_params),
            pip_requirements=["lakecast"],
            registered_model_name=name,
            metadata={"model_id": row["model_id"], "holdout_accuracy_pct": float(row["accuracy_pct"])},
        )
        version = str(info.registered_model_version)
        client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
        client.set_model_version_tag(name, version, "model_id", row["model_id"])
        out[family] = f"{row['model_id']} v{version}"
    return out
