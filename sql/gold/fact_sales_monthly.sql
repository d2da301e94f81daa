-- gold.fact_sales_monthly
-- grain: one row per DFU per month from its first sale
-- primary key: dfu_id, month_start
-- partitioned by: years(month_start)
-- sorted by: dfu_id, month_start
-- produced by job: gold; served: yes
-- contract: contracts.gold.FactSalesMonthly
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
-- foreign key: month_start -> gold.dim_calendar.date
CREATE TABLE IF NOT EXISTS lakecast.gold.fact_sales_monthly (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `month_start` date NOT NULL COMMENT 'Month (first day)',
  `qty` double NOT NULL COMMENT 'Units sold in the month (0 for months without sales after the first sale)',
  `revenue` double NOT NULL COMMENT 'Currency: sum of qty x unit_price',
  `n_lines` bigint NOT NULL COMMENT 'Number of sales lines',
  `promo_qty` double NOT NULL COMMENT 'Units sold on promotion',
  `avg_price` double COMMENT 'Revenue / qty (currency per unit); null when qty is 0'
) USING iceberg
PARTITIONED BY (years(month_start))
COMMENT 'one row per DFU per month from its first sale'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
