-- silver.sales_lines
-- grain: one row per valid, first-seen sales order line
-- primary key: line_id
-- partitioned by: years(sale_date)
-- sorted by: item_id, location_id, sale_date
-- produced by job: silver; served: no
-- contract: contracts.silver.SilverSalesLine
-- foreign key: item_id -> silver.item.item_id
-- foreign key: location_id -> silver.location.location_id
CREATE TABLE IF NOT EXISTS lakecast.silver.sales_lines (
  `line_id` string NOT NULL COMMENT 'Sales order line id, unique across all batches',
  `sale_date` date NOT NULL COMMENT 'Day the units were sold',
  `item_id` string NOT NULL COMMENT 'Item key (exists in silver.item)',
  `location_id` string NOT NULL COMMENT 'Location key (exists in silver.location)',
  `customer_id` string COMMENT 'Customer key; null for anonymous store sales',
  `qty` double NOT NULL COMMENT 'Units sold (>= 0)',
  `unit_price` double COMMENT 'Currency per unit',
  `promo_flag` boolean NOT NULL COMMENT 'Sold on promotion',
  `_batch_id` string NOT NULL COMMENT 'Landing batch',
  `_source_file` string NOT NULL COMMENT 'Landing file',
  `_row_number` bigint NOT NULL COMMENT 'Data row number in the landing file'
) USING iceberg
PARTITIONED BY (years(sale_date))
COMMENT 'one row per valid, first-seen sales order line'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
