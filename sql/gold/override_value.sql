-- gold.override_value
-- grain: one row per approved override x lag with at least one compared DFU-month (actual known)
-- primary key: override_id, lag
-- partitioned by: (unpartitioned)
-- sorted by: override_id, lag
-- produced by job: forecast (also written by: final); served: yes
-- contract: contracts.forecast.OverrideValue
-- Rebuilt from gold.fact_forecast_version and gold.fact_sales_monthly by every forecast and final run; planner and reason code live with the override in the app database.
CREATE TABLE IF NOT EXISTS lakecast.gold.override_value (
  `override_id` string NOT NULL COMMENT 'Override id (app database overrides.id)',
  `lag` bigint NOT NULL COMMENT 'Lag of the published forecasts compared',
  `n_rows` bigint NOT NULL COMMENT 'DFU-months with an actual (rows of gold.forecast_waterfall)',
  `n_dfus` bigint NOT NULL COMMENT 'Distinct DFUs among them',
  `first_month` date NOT NULL COMMENT 'First target month compared',
  `last_month` date NOT NULL COMMENT 'Last target month compared',
  `actual_qty` double NOT NULL COMMENT 'Sum of actual units',
  `abs_actual` double NOT NULL COMMENT 'Sum of |actual| units (the WAPE denominator)',
  `baseline_qty` double NOT NULL COMMENT 'Sum of the statistical forecast the override was folded into, units',
  `final_qty` double NOT NULL COMMENT 'Sum of the final forecast (with the override), units',
  `baseline_abs_error` double NOT NULL COMMENT 'Sum |statistical - actual|, units',
  `final_abs_error` double NOT NULL COMMENT 'Sum |final - actual|, units',
  `fva` double COMMENT 'Accuracy% of final minus Accuracy% of baseline, in points (lakecast.kpi); null when sum |actual| is 0'
) USING iceberg
COMMENT 'one row per approved override x lag with at least one compared DFU-month (actual known)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
