-- gold.forecast_waterfall
-- grain: one row per DFU x target month x lag 0..4 with a standing published version of that lag's cycle
-- primary key: dfu_id, target_month, lag
-- partitioned by: years(target_month)
-- sorted by: dfu_id, target_month, lag
-- produced by job: forecast (also written by: final); served: yes
-- contract: contracts.forecast.ForecastWaterfall
-- Rebuilt from gold.fact_forecast_version and gold.fact_sales_monthly by every forecast and final run.
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.forecast_waterfall (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `target_month` date NOT NULL COMMENT 'Month forecast',
  `lag` bigint NOT NULL COMMENT 'Lag 0..4: published in cycle target_month - lag - 1',
  `planning_cycle` string NOT NULL COMMENT 'Cycle whose standing versions gave the cells (YYYY-MM)',
  `fcst_origin` date NOT NULL COMMENT 'Forecast origin of that cycle = target_month - lag - 1 months',
  `baseline_version_id` string COMMENT 'Standing baseline version of the cycle (null: none)',
  `baseline_qty` double COMMENT 'Statistical (champion) forecast published, units',
  `final_version_id` string COMMENT 'Standing final version of the cycle (null: none)',
  `final_qty` double COMMENT 'Final forecast published (overrides folded in), units',
  `override_id` string COMMENT 'Approved override folded into final_qty, if any',
  `actual_qty` double COMMENT 'Actual units of the target month (0 for a month without sales); null while not yet known',
  `baseline_abs_error` double COMMENT '|baseline_qty - actual_qty| (null without both)',
  `final_abs_error` double COMMENT '|final_qty - actual_qty| (null without both)'
) USING iceberg
PARTITIONED BY (years(target_month))
COMMENT 'one row per DFU x target month x lag 0..4 with a standing published version of that lag\'s cycle'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
