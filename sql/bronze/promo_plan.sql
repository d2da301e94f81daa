-- bronze.promo_plan
-- grain: one row per delivered row of a `promo_plan` landing file (one row per plan version: plan_id x published_at (a plan is one item x promo_month))
-- primary key: _batch_id, _source_file, _row_number
-- partitioned by: _batch_id
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.BronzePromoPlan
-- Promotion plan as the planner published it, every version kept. promo_month YYYY-MM; discount_pct in percent (0..100) off the list price; status planned|cancelled; published_at YYYY-MM-DD = the day the version was published. What the plan said at date d: the latest version per item_id x promo_month with published_at <= d.
CREATE TABLE IF NOT EXISTS lakecast.bronze.promo_plan (
  `plan_id` string COMMENT '`plan_id` as delivered (untyped text)',
  `item_id` string COMMENT '`item_id` as delivered (untyped text)',
  `promo_month` string COMMENT '`promo_month` as delivered (untyped text)',
  `discount_pct` string COMMENT '`discount_pct` as delivered (untyped text)',
  `status` string COMMENT '`status` as delivered (untyped text)',
  `published_at` string COMMENT '`published_at` as delivered (untyped text)',
  `_batch_id` string NOT NULL COMMENT 'Delivery id = the landing batch directory name',
  `_source_file` string NOT NULL COMMENT 'File name within the batch directory',
  `_row_number` bigint NOT NULL COMMENT '1-based data row number within the file',
  `_ingested_at` timestamp NOT NULL COMMENT 'UTC time the batch was first landed',
  `_corrupt_record` string COMMENT 'Raw text of a row the CSV parser could not split cleanly'
) USING iceberg
PARTITIONED BY (_batch_id)
COMMENT 'one row per delivered row of a `promo_plan` landing file (one row per plan version: plan_id x published_at (a plan is one item x promo_month))'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
