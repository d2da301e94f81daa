-- gold.fact_forecast_version
-- grain: one row per published version x DFU x target month (baseline and final; appended, never overwritten)
-- primary key: version_id, dfu_id, target_month
-- partitioned by: planning_cycle, scenario_id
-- sorted by: dfu_id, target_month
-- produced by job: forecast (also written by: final); served: yes
-- contract: contracts.forecast.FactForecastVersion
-- Every forecast the forecast and final jobs published, kept side by side; retention by cycle (versions.retain_cycles); snapshot expiry never removes a version (rows, not snapshots).
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_forecast_version (
  `version_id` string NOT NULL COMMENT 'Version = run_id of the job run that published it (forecast-... or final-...)',
  `planning_cycle` string NOT NULL COMMENT 'Planning cycle: month of the forecast origin (last month of actuals), YYYY-MM',
  `scenario_id` string NOT NULL COMMENT 'baseline (the statistical champion) | final (overrides folded in)',
  `base_version_id` string COMMENT 'For final versions: the baseline version (forecast run) the overrides were folded into',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the forecast',
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `target_month` date NOT NULL COMMENT 'Month forecast = fcst_origin + lag + 1',
  `lag` bigint NOT NULL COMMENT 'Lag in months (0 = one month ahead), see lakecast/lag.py',
  `model_id` string NOT NULL COMMENT 'champion (baseline) or final',
  `algorithm_id` string NOT NULL COMMENT 'Model family of the row (override on a folded final row)',
  `source_model_id` string COMMENT 'The model the champion was for this DFU',
  `model_version` string NOT NULL COMMENT 'Version of the model code and parameters',
  `override_id` string COMMENT 'For final rows: the approved override folded in, if any',
  `fcst_qty` double NOT NULL COMMENT 'Forecast units',
  `stat_qty` double NOT NULL COMMENT 'Statistical (baseline champion) units the row was folded from; equals fcst_qty on baseline rows',
  `published_at` timestamp NOT NULL COMMENT 'UTC time the version was published (same on all its rows)'
) USING iceberg
PARTITIONED BY (planning_cycle, scenario_id)
COMMENT 'one row per published version x DFU x target month (baseline and final; appended, never overwritten)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
