-- gold.agg_loc_item_week
-- grain: one row per location x item per ISO week with sales
-- primary key: location_id, item_id, week_start
-- partitioned by: years(week_start)
-- sorted by: location_id, item_id, week_start
-- produced by job: gold; served: yes
-- contract: contracts.gold.AggLocItemWeek
-- foreign key: item_id -> gold.dim_item.item_id
CREATE TABLE IF NOT EXISTS lakecast.gold.agg_loc_item_week (
  `location_id` string NOT NULL COMMENT 'Location key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `week_start` date NOT NULL COMMENT 'Monday of the ISO week',
  `qty` double NOT NULL COMMENT 'Units',
  `revenue` double NOT NULL COMMENT 'Currency',
  `n_lines` bigint NOT NULL COMMENT 'Sales lines'
) USING iceberg
PARTITIONED BY (years(week_start))
COMMENT 'one row per location x item per ISO week with sales'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
