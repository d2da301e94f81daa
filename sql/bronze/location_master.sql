-- bronze.location_master
-- grain: one row per delivered row of a `location_master` landing file (one row per location per master snapshot)
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzeLocationMaster
-- Location master snapshots (stores and DCs); region may be reassigned between snapshots.
CREATE TABLE IF NOT EXISTS lakecast.bronze.location_master (
  `location_id` string COMMENT '`location_id` as delivered (untyped text)',
  `location_name` string COMMENT '`location_name` as delivered (untyped text)',
  `location_type` string COMMENT '`location_type` as delivered (untyped text)',
  `region` string COMMENT '`region` as delivered (untyped text)',
  `country` string COMMENT '`country` as delivered (untyped text)',
  `effective_date` string COMMENT '`effective_date` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `location_master` landing file (one row per location per master snapshot)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
