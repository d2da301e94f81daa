-- gold.dim_location
-- grain: one row per location per attribute period (SCD2)
-- primary key: location_id, valid_from
-- partitioned by: (unpartitioned)
-- sorted by: location_id
-- produced by job: gold; served: yes
-- contract: contracts.gold.DimLocation
CREATE TABLE IF NOT EXISTS lakecast.gold.dim_location (
  `location_id` string NOT NULL COMMENT 'Location key',
  `location_name` string NOT NULL COMMENT 'Location name',
  `location_type` string COMMENT 'store or dc',
  `region` string NOT NULL COMMENT 'Sales region',
  `country` string COMMENT 'Country',
  `valid_from` date NOT NULL COMMENT 'First day these attributes hold (inclusive)',
  `valid_to` date NOT NULL COMMENT 'Day these attributes stop holding (exclusive); 9999-12-31 if current',
  `is_current` boolean NOT NULL COMMENT 'True for the row valid today'
) USING iceberg
COMMENT 'one row per location per attribute period (SCD2)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
