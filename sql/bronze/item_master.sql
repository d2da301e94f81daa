-- bronze.item_master
-- grain: one row per delivered row of a `item_master` landing file (one row per item per master snapshot (effective_date = date the attributes take effect))
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzeItemMaster
-- Item master snapshots; attributes (brand, category, supplier, ...) change between snapshots.
CREATE TABLE IF NOT EXISTS lakecast.bronze.item_master (
  `item_id` string COMMENT '`item_id` as delivered (untyped text)',
  `item_name` string COMMENT '`item_name` as delivered (untyped text)',
  `brand` string COMMENT '`brand` as delivered (untyped text)',
  `category` string COMMENT '`category` as delivered (untyped text)',
  `subcategory` string COMMENT '`subcategory` as delivered (untyped text)',
  `supplier` string COMMENT '`supplier` as delivered (untyped text)',
  `uom` string COMMENT '`uom` as delivered (untyped text)',
  `unit_cost` string COMMENT '`unit_cost` as delivered (untyped text)',
  `lead_time_days` string COMMENT '`lead_time_days` as delivered (untyped text)',
  `launch_date` string COMMENT '`launch_date` as delivered (untyped text)',
  `discontinue_date` string COMMENT '`discontinue_date` as delivered (untyped text)',
  `effective_date` string COMMENT '`effective_date` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `item_master` landing file (one row per item per master snapshot (effective_date = date the attributes take effect))'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
