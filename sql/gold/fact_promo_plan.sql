-- gold.fact_promo_plan
-- grain: one row per promotion plan version (plan_id x published_at); every version kept for as-of reads
-- primary key: plan_id, published_at
-- partitioned by: years(promo_month)
-- sorted by: item_id, promo_month, published_at
-- produced by job: gold; served: yes
-- contract: contracts.gold.FactPromoPlan
-- foreign key: item_id -> gold.dim_item.item_id
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_promo_plan (
  `plan_id` string NOT NULL COMMENT 'Promotion plan id; a plan is one item x promo_month, kept over its versions',
  `item_id` string NOT NULL COMMENT 'Item key',
  `promo_month` date NOT NULL COMMENT 'Month the promotion runs (month start)',
  `discount_pct` double NOT NULL COMMENT 'Planned discount off the list price, in percent 0..100',
  `status` string NOT NULL COMMENT 'planned or cancelled',
  `published_at` date NOT NULL COMMENT 'Day this version was published (as-of key: published_at <= d)'
) USING iceberg
PARTITIONED BY (years(promo_month))
COMMENT 'one row per promotion plan version (plan_id x published_at); every version kept for as-of reads'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
