-- gold.dim_customer
-- grain: one row per customer per attribute period (SCD2)
-- primary key: customer_id, valid_from
-- partitioned by: (unpartitioned)
-- sorted by: customer_id
-- produced by job: gold; served: yes
-- contract: contracts.gold.DimCustomer
CREATE TABLE IF NOT EXISTS lakecast.gold.dim_customer (
  `customer_id` string NOT NULL COMMENT 'Customer key',
  `customer_name` string NOT NULL COMMENT 'Customer name',
  `segment` string COMMENT 'Customer segment',
  `region` string COMMENT 'Customer region',
  `valid_from` date NOT NULL COMMENT 'First day these attributes hold (inclusive)',
  `valid_to` date NOT NULL COMMENT 'Day these attributes stop holding (exclusive); 9999-12-31 if current',
  `is_current` boolean NOT NULL COMMENT 'True for the row valid today'
) USING iceberg
COMMENT 'one row per customer per attribute period (SCD2)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
