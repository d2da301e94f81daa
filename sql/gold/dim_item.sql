-- gold.dim_item
-- grain: one row per item per attribute period (SCD2)
-- primary key: item_id, valid_from
-- partitioned by: (unpartitioned)
-- sorted by: item_id
-- produced by job: gold; served: yes
-- contract: contracts.gold.DimItem
CREATE TABLE IF NOT EXISTS lakecast.gold.dim_item (
  `item_id` string NOT NULL COMMENT 'Item key',
  `item_name` string NOT NULL COMMENT 'Item description',
  `brand` string COMMENT 'Brand',
  `category` string NOT NULL COMMENT 'Category (drives seasonality)',
  `subcategory` string COMMENT 'Subcategory',
  `supplier` string COMMENT 'Supplier',
  `uom` string COMMENT 'Unit of measure',
  `unit_cost` double COMMENT 'Currency per unit',
  `lead_time_days` bigint COMMENT 'Replenishment lead time in days',
  `launch_date` date COMMENT 'First day the item is sold',
  `discontinue_date` date COMMENT 'Last day the item is sold, if discontinued',
  `valid_from` date NOT NULL COMMENT 'First day these attributes hold (inclusive)',
  `valid_to` date NOT NULL COMMENT 'Day these attributes stop holding (exclusive); 9999-12-31 if current',
  `is_current` boolean NOT NULL COMMENT 'True for the row valid today'
) USING iceberg
COMMENT 'one row per item per attribute period (SCD2)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
