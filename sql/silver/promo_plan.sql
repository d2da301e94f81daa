-- silver.promo_plan
-- grain: one row per valid plan version (plan_id x published_at; repeated versions quarantined)
-- primary key: plan_id, published_at
-- partitioned by: years(promo_month)
-- sorted by: item_id, promo_month, published_at
-- produced by job: silver; served: no
-- contract: contracts.silver.SilverPromoPlan
-- foreign key: item_id -> silver.item.item_id
CREATE TABLE IF NOT EXISTS lakecast.silver.promo_plan (
  `plan_id` string NOT NULL COMMENT 'Promotion plan id; a plan is one item x promo_month, kept over its versions',
  `item_id` string NOT NULL COMMENT 'Item key (exists in silver.item)',
  `promo_month` date NOT NULL COMMENT 'Month the promotion runs (month start)',
  `discount_pct` double NOT NULL COMMENT 'Planned discount off the list price, in percent 0..100',
  `status` string NOT NULL COMMENT 'planned or cancelled (a cancelled version withdraws the plan)',
  `published_at` date NOT NULL COMMENT 'Day this version of the plan was published (before promo_month)',
  `_batch_id` string NOT NULL COMMENT 'Landing batch',
  `_source_file` string NOT NULL COMMENT 'Landing file',
  `_row_number` bigint NOT NULL COMMENT 'Data row number in the landing file'
) USING iceberg
PARTITIONED BY (years(promo_month))
COMMENT 'one row per valid plan version (plan_id x published_at; repeated versions quarantined)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
