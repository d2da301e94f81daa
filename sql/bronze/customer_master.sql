-- bronze.customer_master
-- grain: one row per delivered row of a `customer_master` landing file (one row per customer per master snapshot)
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzeCustomerMaster
-- Customer master snapshots; segment may change between snapshots.
CREATE TABLE IF NOT EXISTS lakecast.bronze.customer_master (
  `customer_id` string COMMENT '`customer_id` as delivered (untyped text)',
  `customer_name` string COMMENT '`customer_name` as delivered (untyped text)',
  `segment` string COMMENT '`segment` as delivered (untyped text)',
  `region` string COMMENT '`region` as delivered (untyped text)',
  `effective_date` string COMMENT '`effective_date` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `customer_master` landing file (one row per customer per master snapshot)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
