-- gold.fact_forecast_accuracy
-- grain: one row per scenario x DFU x model x origin x target month with an actual
-- primary key: scenario_id, dfu_id, model_id, fcst_origin, target_month
-- partitioned by: years(target_month)
-- sorted by: model_id, lag, dfu_id, target_month
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.FactForecastAccuracy
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_forecast_accuracy (
  `scenario_id` string NOT NULL COMMENT 'backtest (accuracy exists only where actuals exist)',
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `model_id` string NOT NULL COMMENT 'Model, or \'external\' for the legacy forecast on the same months and lags',
  `algorithm_id` string NOT NULL COMMENT 'Model family (see fact_forecast)',
  `run_id` string NOT NULL COMMENT 'Pipeline run that wrote the row',
  `timeframe` string NOT NULL COMMENT 'Backtest origin label A..J',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the forecast',
  `target_month` date NOT NULL COMMENT 'Month forecast',
  `lag` bigint NOT NULL COMMENT 'Lag in months',
  `fcst_qty` double NOT NULL COMMENT 'Forecast units',
  `actual_qty` double NOT NULL COMMENT 'Actual units of the target month (0 for a month without sales)',
  `abs_error` double NOT NULL COMMENT '|fcst_qty - actual_qty|; WAPE = sum(abs_error) / sum(|actual_qty|) (lakecast.kpi)',
  `cluster_id` bigint COMMENT 'DFU\'s cluster at the origin',
  `is_holdout` boolean NOT NULL COMMENT 'True on the competition\'s holdout timeframes (not used to choose)',
  `fcst_lo_80` double COMMENT 'Lower bound of the 80% prediction interval (units; conformal)',
  `fcst_hi_80` double COMMENT 'Upper bound of the 80% prediction interval (units)',
  `fcst_lo_95` double COMMENT 'Lower bound of the 95% prediction interval (units)',
  `fcst_hi_95` double COMMENT 'Upper bound of the 95% prediction interval (units)'
) USING iceberg
PARTITIONED BY (years(target_month))
COMMENT 'one row per scenario x DFU x model x origin x target month with an actual'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
