-- gold.fact_forecast
-- grain: one row per scenario x DFU x model x origin x target month
-- primary key: scenario_id, dfu_id, model_id, fcst_origin, target_month
-- partitioned by: scenario_id, years(target_month)
-- sorted by: dfu_id, model_id, target_month, lag
-- produced by job: forecast (also written by: final); served: yes
-- contract: contracts.forecast.FactForecast
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_forecast (
  `scenario_id` string NOT NULL COMMENT 'backtest | baseline | final',
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `model_id` string NOT NULL COMMENT 'Model (e.g. theta, lgbm_global, combo_mean, champion, ceiling)',
  `algorithm_id` string NOT NULL COMMENT 'Model family: statsforecast | lightgbm | catboost | xgboost | ensemble | selection | oracle | override',
  `model_version` string NOT NULL COMMENT 'Version of the model code and parameters (lakecast version + hash)',
  `run_id` string NOT NULL COMMENT 'Pipeline run that wrote the row (MLflow run id when tracking is on)',
  `planning_grain` string NOT NULL COMMENT 'Grain the forecast was made at (dfu_month)',
  `timeframe` string NOT NULL COMMENT 'Backtest origin label A..J (A = oldest); \'forward\' for the baseline and final scenarios',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the forecast',
  `target_month` date NOT NULL COMMENT 'Month forecast = fcst_origin + lag + 1',
  `lag` bigint NOT NULL COMMENT 'Lag in months (0 = one month ahead), see lakecast/lag.py',
  `fcst_qty` double NOT NULL COMMENT 'Forecast units',
  `cluster_id` bigint COMMENT 'DFU\'s cluster at the origin (computed from data <= origin)',
  `source_model_id` string COMMENT 'For champion rows: the model chosen for this DFU',
  `override_id` string COMMENT 'For final rows: the approved override applied, if any',
  `fcst_lo_80` double COMMENT 'Lower bound of the 80% prediction interval (units; conformal)',
  `fcst_hi_80` double COMMENT 'Upper bound of the 80% prediction interval (units)',
  `fcst_lo_95` double COMMENT 'Lower bound of the 95% prediction interval (units)',
  `fcst_hi_95` double COMMENT 'Upper bound of the 95% prediction interval (units)'
) USING iceberg
PARTITIONED BY (scenario_id, years(target_month))
COMMENT 'one row per scenario x DFU x model x origin x target month'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
