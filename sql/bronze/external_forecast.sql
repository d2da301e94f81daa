-- bronze.external_forecast
-- grain: one row per delivered row of a `external_forecast` landing file (one row per item x location x target_month x lag)
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzeExternalForecast
-- Legacy (external) forecast. fcst_origin and target_month are YYYY-MM; lag in 0..4 with target_month = fcst_origin + lag + 1 (see lakecast/lag.py); fcst_qty in units.
CREATE TABLE IF NOT EXISTS lakecast.bronze.external_forecast (
  `item_id` string COMMENT '`item_id` as delivered (untyped text)',
  `location_id` string COMMENT '`location_id` as delivered (untyped text)',
  `fcst_origin` string COMMENT '`fcst_origin` as delivered (untyped text)',
  `target_month` string COMMENT '`target_month` as delivered (untyped text)',
  `lag` string COMMENT '`lag` as delivered (untyped text)',
  `fcst_qty` string COMMENT '`fcst_qty` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `external_forecast` landing file (one row per item x location x target_month x lag)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
