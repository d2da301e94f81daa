-- gold.fact_external_forecast_monthly
-- grain: one row per DFU x target month x lag (legacy forecast)
-- primary key: dfu_id, target_month, lag
-- partitioned by: years(target_month)
-- sorted by: dfu_id, target_month, lag
-- produced by job: gold; served: yes
-- contract: contracts.gold.FactExternalForecastMonthly
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_external_forecast_monthly (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the legacy forecast',
  `target_month` date NOT NULL COMMENT 'Month forecast = fcst_origin + lag + 1',
  `lag` bigint NOT NULL COMMENT 'Lag 0..4 (lakecast/lag.py)',
  `fcst_qty` double NOT NULL COMMENT 'Forecast units'
) USING iceberg
PARTITIONED BY (years(target_month))
COMMENT 'one row per DFU x target month x lag (legacy forecast)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
