-- gold.agg_loc_customer_week
-- grain: one row per location x customer per ISO week with customer sales
-- primary key: location_id, customer_id, week_start
-- partitioned by: years(week_start)
-- sorted by: location_id, customer_id, week_start
-- produced by job: gold; served: yes
-- contract: contracts.gold.AggLocCustomerWeek
-- foreign key: customer_id -> gold.dim_customer.customer_id
CREATE TABLE IF NOT EXISTS lakecast.gold.agg_loc_customer_week (
  `location_id` string NOT NULL COMMENT 'Location key',
  `customer_id` string NOT NULL COMMENT 'Customer key',
  `week_start` date NOT NULL COMMENT 'Monday of the ISO week',
  `qty` double NOT NULL COMMENT 'Units',
  `revenue` double NOT NULL COMMENT 'Currency',
  `n_lines` bigint NOT NULL COMMENT 'Sales lines'
) USING iceberg
PARTITIONED BY (years(week_start))
COMMENT 'one row per location x customer per ISO week with customer sales'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
