-- silver.customer
-- grain: one row per customer per period of unchanged attributes (SCD type 2)
-- primary key: customer_id, valid_from
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: silver; served: no
-- contract: contracts.silver.SilverCustomer
CREATE TABLE IF NOT EXISTS lakecast.silver.customer (
  `customer_id` string NOT NULL COMMENT 'Customer key',
  `customer_name` string NOT NULL COMMENT 'Customer name',
  `segment` string COMMENT 'Customer segment',
  `region` string COMMENT 'Customer region',
  `valid_from` date NOT NULL COMMENT 'First day these attributes hold (inclusive)',
  `valid_to` date NOT NULL COMMENT 'Day these attributes stop holding (exclusive); 9999-12-31 if current',
  `is_current` boolean NOT NULL COMMENT 'True for the row valid today'
) USING iceberg
COMMENT 'one row per customer per period of unchanged attributes (SCD type 2)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
