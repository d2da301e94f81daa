-- bronze.sales_lines
-- grain: one row per delivered row of a `sales_lines` landing file (one row per sales order line (line_id is unique across all batches))
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzeSalesLines
-- Daily sales lines. sale_date YYYY-MM-DD; qty in units (>= 0); unit_price in currency per unit; promo_flag 0/1; customer_id empty when the location sells to anonymous consumers.
CREATE TABLE IF NOT EXISTS lakecast.bronze.sales_lines (
  `line_id` string COMMENT '`line_id` as delivered (untyped text)',
  `sale_date` string COMMENT '`sale_date` as delivered (untyped text)',
  `item_id` string COMMENT '`item_id` as delivered (untyped text)',
  `location_id` string COMMENT '`location_id` as delivered (untyped text)',
  `customer_id` string COMMENT '`customer_id` as delivered (untyped text)',
  `qty` string COMMENT '`qty` as delivered (untyped text)',
  `unit_price` string COMMENT '`unit_price` as delivered (untyped text)',
  `promo_flag` string COMMENT '`promo_flag` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `sales_lines` landing file (one row per sales order line (line_id is unique across all batches))'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
