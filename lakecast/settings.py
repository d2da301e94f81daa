"""One typed Settings object: conf/base.yaml, deep-merged with conf/<profile>.yaml, overridden by env vars."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from contracts.forecast import ModelId
from lakecast.lag import MAX_LAG
from lakecast.resources import PROJECT_ROOT as PROJECT_ROOT  # re-exported: the checkout root
from lakecast.resources import resource_dir

CONF_DIR_DEFAULT = resource_dir("conf")


class SparkSettings(BaseModel):
    master: str = "local[*]"
    app_name: str = "lakecast"
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    extra_conf: dict[str, str] = Field(default_factory=dict)


class CatalogSettings(BaseModel):
    name: str = "lakecast"
    # hadoop: files under the warehouse dir; rest: an Iceberg REST catalog at `uri`; jdbc: Iceberg's JDBC catalog
    # in Postgres at `uri` (jdbc:postgresql://...), the `stack` profile's shared catalog (docs/decisions.md)
    type: Literal["hadoop", "rest", "jdbc"] = "hadoop"
    warehouse: str = ""
    uri: str = ""
    jdbc_user: str = ""
    s3_endpoint: str = ""
    # S3 credentials for the catalog's object store. Empty = the standard AWS_ACCESS_KEY_ID /
    # AWS_SECRET_ACCESS_KEY / AWS_REGION variables (compose); the loopback-only `stack` profile sets them.
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"


class EngineSettings(BaseModel):
    kind: Literal["duckdb", "trino"] = "duckdb"
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "2GB"
    # namespaces whose current snapshot the API's DuckDB copies into memory (reloaded when a snapshot changes)
    duckdb_materialize: list[str] = Field(default_factory=lambda: ["gold", "ops"])
    # larger tables (total-records of the snapshot) stay views over the snapshot's data files
    duckdb_materialize_max_rows: int = Field(default=20_000_000, ge=0)
    # API: results kept per snapshot state (same SQL + parameters -> same rows until a publish); 0 = off
    result_cache_entries: int = Field(default=1024, ge=0)
    trino_host: str = "localhost"
    trino_port: int = 8080
    trino_user: str = "lakecast"
    trino_catalog: str = "iceberg"


class PostgresSettings(BaseModel):
    mode: Literal["embedded", "external"] = "embedded"
    url: str = ""


class MlflowSettings(BaseModel):
    enabled: bool = True
    # register each family's best model (pyfunc recipe) with a `champion` alias
    register_models: bool = True
    tracking_uri: str = ""
    artifact_location: str = ""


class GenerateSettings(BaseModel):
    messy_fraction: float = Field(0.01, ge=0.0, le=0.5)


class NumericBounds(BaseModel):
    """Inclusive bounds of one number; None = unbounded on that side."""

    min: float | None = None
    max: float | None = None


class DateBounds(BaseModel):
    """A date column's plausible range: [not_before (default: history_start), batch date + max_days_after_batch]."""

    not_before: dt.date | None = None
    max_days_after_batch: int | None = Field(None, ge=0)  # None = no bound relative to the batch date


class HistoryCheck(BaseModel):
    """Quarantine a value above ``max_multiple_of_p99`` x the p99 of its group's other accepted values."""

    column: str
    group_by: list[str]
    max_multiple_of_p99: float = Field(100.0, gt=1.0)
    min_rows: int = Field(100, ge=1)  # groups with fewer accepted rows are not judged (p99 would be the max)


class SourcePlausibility(BaseModel):
    """Plausibility rules of one landing source (columns named as delivered, plus derived `revenue`)."""

    bounds: dict[str, NumericBounds] = Field(default_factory=dict)
    dates: dict[str, DateBounds] = Field(default_factory=dict)
    history: list[HistoryCheck] = Field(default_factory=list)


class PlausibilitySettings(BaseModel):
    """Silver's plausibility rules (spark_jobs/silver_rules.py); numbers are always required to be finite."""

    history_start: dt.date = dt.date(2000, 1, 1)
    # text columns whose contract declares no max_length are limited to this many characters
    default_max_length: int = Field(1000, ge=1)
    sources: dict[str, SourcePlausibility] = Field(default_factory=dict)


class LandingChecks(BaseModel):
    """Physical-line accounting of CSV landing files (spark_jobs/landing.py)."""

    # a quoted field may hold newlines, but a record spanning more physical lines than this rejects its file
    max_lines_per_record: int = Field(20, ge=1)


class QualitySettings(BaseModel):
    max_row_count_drift: float = Field(0.5, ge=0.0)
    # published tables: no NaN/inf, and no number whose magnitude exceeds this (gates.finite_and_bounded)
    max_abs_value: float = Field(1e15, gt=0)
    # gold.dim_calendar may reach at most this many days past today (its last year ends 2 years after the
    # last sale's year, so the bound is Dec 31 of (today + calendar_future_days) + 2 years)
    calendar_future_days: int = Field(31, ge=0)
    plausibility: PlausibilitySettings = Field(default_factory=PlausibilitySettings)
    landing: LandingChecks = Field(default_factory=LandingChecks)


class MaintenanceSettings(BaseModel):
    """`lakecast run maintain`: snapshot retention, orphan-file safety window, compaction (docs/data-quality.md)."""

    # Snapshots older than this are expired, except the newest `retain_last`, each table's current snapshot and
    # the snapshots the last succeeded run of each job published (tagged `lakecast-run-<job>` before expiring).
    snapshot_retention_hours: float = Field(168.0, ge=0)
    retain_last: int = Field(5, ge=1)
    # Files under a table's location that no snapshot references are deleted only when older than this, so a job
    # still writing (its files not yet committed) never loses them.
    orphan_older_than_hours: float = Field(24.0, ge=0)
    # Compaction: a partition with at least this many data files smaller than `small_file_bytes` is rewritten.
    compact_min_input_files: int = Field(2, ge=2)
    small_file_bytes: int = Field(32 * 1024 * 1024, ge=1)
    target_file_bytes: int = Field(128 * 1024 * 1024, ge=1)
    # Manifests are rewritten when the current snapshot has more than this many.
    max_manifests: int = Field(4, ge=1)


class VersionsSettings(BaseModel):
    """Forecast versions (gold.fact_forecast_version, lakecast/versions.py): how many planning cycles are kept."""

    # The newest N planning cycles (months of forecast origin) keep their versions; older cycles are deleted when a
    # job records a new version. null keeps every cycle. The waterfall needs 5 cycles to show lags 4..0.
    retain_cycles: int | None = Field(None, ge=1)


class StackSettings(BaseModel):
    """`lakecast stack up|down|status`: MinIO, Postgres (the Iceberg JDBC catalog) and Trino on loopback."""

    host: str = "127.0.0.1"
    # downloads and builds, reused across data dirs when set; empty = <data_dir>/stack/cache
    cache_dir: str = ""
    maven_repository: str = "https://repo1.maven.org/maven2"
    minio_module: str = "github.com/minio/minio"
    minio_version: str = "v0.0.0-20260212201848-7aac2a2c5b7c"
    minio_port: int = 9100
    minio_console_port: int = 9101
    minio_bucket: str = "warehouse"
    minio_user: str = "lakecast"
    minio_password: str = "lakecast-stack-local"
    postgres_port: int = 5433
    catalog_database: str = "iceberg_catalog"
    trino_version: str = "476"
    trino_port: int = 8090
    trino_heap: str = "2G"
    java_home: str = "/usr/lib/jvm/temurin-25-jdk-amd64"
    # Spark-side jars for the JDBC catalog on S3 (Maven Central): iceberg-aws-bundle must match the
    # Iceberg runtime jar's version (1.9.2, snowpark-connect-deps-iceberg==1.0.1)
    iceberg_version: str = "1.9.2"
    postgres_jdbc_version: str = "42.7.8"
    start_timeout_seconds: float = Field(240.0, gt=0)


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000


# champion selection metrics a config may name (lakecast.forecast.metrics.METRICS; rmsse gets its per-DFU scale
# from the competition itself)
CompetitionMetric = Literal["wape", "mae", "mape", "smape", "accuracy_pct", "abs_bias", "srmse", "rmsse"]


class CompetitionSettings(BaseModel):
    """Champion selection (lakecast.forecast.champion.CompetitionConfig); the API may store an edited copy."""

    metric: CompetitionMetric = "wape"
    # an int lag, "execution_lag" (each DFU at its own dim_dfu.execution_lag) or "all" (every lag pooled)
    lag: Annotated[int, Field(ge=0, le=MAX_LAG)] | Literal["execution_lag", "all"] = "execution_lag"
    min_rows: int = Field(3, ge=1)
    models: list[ModelId] | None = None  # competing models; None = every model the job ran
    n_holdout: int = Field(2, ge=1)
    fallback_model: ModelId = "seasonal_naive"
    baseline_model: ModelId = "seasonal_naive"
    combo_members: list[ModelId] | None = None  # None = no combination model
    # dfu: champion per DFU | cluster: per segment, on the segment's pooled selection rows | global: one model
    scope: Literal["dfu", "cluster", "global"] = "dfu"
    # metric for intermittent / lumpy / dying segments (scope cluster): rmsse (M5) is minimised by the mean, so
    # it does not reward a zero (biased) forecast the way WAPE and MAE do, and scales each DFU once, by its
    # history up to the decision origin
    intermittent_metric: CompetitionMetric = "rmsse"


class ChatSettings(BaseModel):
    """Everything the chat layer needs beyond the serving engine and the app database."""

    max_rows: int = Field(default=1000, ge=1, le=100_000, description="LIMIT enforced on every chat query")
    statement_timeout_seconds: float = Field(default=10.0, gt=0, le=600, description="per-query timeout")
    max_question_chars: int = Field(default=1000, ge=10, description="longer questions are refused")
    max_sql_chars: int = Field(default=20_000, ge=100, description="longer SQL is refused before parsing")
    max_joins: int = Field(default=6, ge=0, description="more JOINs than this are refused (runaway queries)")
    embedding_dim: int = Field(default=512, ge=64, le=4096, description="hashed TF-IDF vector size (pgvector column)")
    retrieval_k: int = Field(default=3, ge=1, le=20, description="nearest examples used to guide a parse")
    retrieval_min_similarity: float = Field(default=
        0.30, ge=0, le=1, description="cosine below which a nearest example is not trusted to fill a slot"
    )
    default_sales_months: int = Field(default=12, ge=1, description="window of sales questions that name no time")
    conversation_ttl_hours: int = Field(default=24, ge=1, description="follow-ups older than this start afresh")
    llm_enabled: bool = Field(default=False, description="ask an OpenAI-compatible endpoint when rules cannot parse")
    llm_base_url: str = Field(default="", description="e.g. http://127.0.0.1:11434/v1 (the /chat/completions parent)")
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)



class ForecastSettings(BaseModel):
    """The forecast job: which models, how many backtest origins, how far forward."""

    models: list[ModelId] | Literal["default", "all"] = "default"
    n_origins: int = Field(10, ge=2, le=26)
    horizon: int = Field(5, ge=5)  # backtest months per origin (lags 0..4 need 5)
    forward_horizon: int = Field(12, ge=5)
    seed: int = 0
    season_length: int = Field(12, ge=1)
    # LightGBM / CatBoost / XGBoost overrides (e.g. {"rounds": 40}); empty = model defaults.
    ml_params: dict[str, float | int] = Field(default_factory=dict)
    # applyInPandas groups for per-series (statistical) models.
    stat_buckets: int = Field(8, ge=1)
    # DFU segmentation at each origin: rule-based demand-pattern segments or k-means (lakecast.forecast.clustering)
    clustering: Literal["segments", "kmeans"] = "segments"
    competition: CompetitionSettings = Field(default_factory=CompetitionSettings)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping at top level")
    return data


class _ProfileYamlSource(PydanticBaseSettingsSource):
    """Reads conf/base.yaml and the active profile's file; lower priority than env vars."""

    def get_field_value(self, field, field_name):  # pragma: no cover - not used by pydantic here
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        # Code shipped in a zip (spark-submit --py-files) has no conf/ beside it: use LAKECAST_CONF_DIR or ./conf.
        default = CONF_DIR_DEFAULT if CONF_DIR_DEFAULT.is_dir() else Path.cwd() / "conf"
        conf_dir = Path(os.environ.get("LAKECAST_CONF_DIR", str(default)))
        profile = os.environ.get("LAKECAST_PROFILE", "local")
        profile_file = conf_dir / f"{profile}.yaml"
        if profile != "base" and not profile_file.exists():
            known = sorted(p.stem for p in conf_dir.glob("*.yaml") if p.stem != "base")
            raise ValueError(f"unknown profile {profile!r}: no {profile_file}; known profiles: {known}")
        data = _deep_merge(_read_yaml(conf_dir / "base.yaml"), _read_yaml(profile_file))
        data["profile"] = profile
        return data


class Settings(BaseSettings):
    """Resolved configuration for every Lakecast component."""

    model_config = SettingsConfigDict(env_prefix="LAKECAST_", env_nested_delimiter="__", extra="forbid")

    profile: str = "local"
    data_dir: Path = Path("./data")
    spark: SparkSettings = Field(default_factory=SparkSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
    generate: GenerateSettings = Field(default_factory=GenerateSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    maintenance: MaintenanceSettings = Field(default_factory=MaintenanceSettings)
    versions: VersionsSettings = Field(default_factory=VersionsSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return (init_settings, env_settings, _ProfileYamlSource(settings_cls))

    # ---- derived locations (one place for every path) ----
    @property
    def data_path(self) -> Path:
        path = self.data_dir if self.data_dir.is_absolute() else (Path.cwd() / self.data_dir)
        return path.resolve()

    @property
    def landing_dir(self) -> Path:
        return self.data_path / "landing"

    @property
    def warehouse(self) -> str:
        return self.catalog.warehouse or str(self.data_path / "warehouse")

    @property
    def postgres_dir(self) -> Path:
        return self.data_path / "postgres"

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.mlflow.tracking_uri or f"sqlite:///{self.data_path / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifact_location(self) -> str:
        return self.mlflow.artifact_location or str(self.data_path / "mlflow" / "artifacts")

    @property
    def stack_dir(self) -> Path:
        """Logs, pid files, configs and data of the local stack (`lakecast stack`)."""
        return self.data_path / "stack"

    @property
    def stack_cache_dir(self) -> Path:
        """Downloaded and built components of the local stack (shareable across data dirs)."""
        return Path(self.stack.cache_dir).resolve() if self.stack.cache_dir else self.stack_dir / "cache"

    @property
    def runs_dir(self) -> Path:
        return self.data_path / "runs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide Settings (cached; call `get_settings.cache_clear()` after changing env)."""
    return Settings()
