-- silver.external_forecast
-- grain: one row per item x location x target_month x lag (latest delivery wins)
-- primary key: item_id, location_id, target_month, lag
-- partitioned by: years(target_month)
-- sorted by: (none)
-- produced by job: silver; served: no
-- contract: contracts.silver.SilverExternalForecast
CREATE TABLE IF NOT EXISTS lakecast.silver.external_forecast (
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the forecast (month start)',
  `target_month` date NOT NULL COMMENT 'Month forecast (month start) = fcst_origin + lag + 1',
  `lag` bigint NOT NULL COMMENT 'Forecast lag 0..4 (see lakecast/lag.py)',
  `fcst_qty` double NOT NULL COMMENT 'Forecast units',
  `_batch_id` string NOT NULL COMMENT 'Landing batch'
) USING iceberg
PARTITIONED BY (years(target_month))
COMMENT 'one row per item x location x target_month x lag (latest delivery wins)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
