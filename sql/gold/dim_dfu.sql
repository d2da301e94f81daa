-- gold.dim_dfu
-- grain: one row per DFU (item x location with sales)
-- primary key: dfu_id
-- partitioned by: (unpartitioned)
-- sorted by: dfu_id
-- produced by job: gold (also written by: forecast); served: yes
-- contract: contracts.gold.DimDfu
-- foreign key: item_id -> gold.dim_item.item_id
-- foreign key: location_id -> gold.dim_location.location_id
CREATE TABLE IF NOT EXISTS lakecast.gold.dim_dfu (
  `dfu_id` string NOT NULL COMMENT 'Demand forecasting unit key = item_id|location_id',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `category` string COMMENT 'Current item category',
  `brand` string COMMENT 'Current item brand',
  `supplier` string COMMENT 'Current item supplier',
  `region` string COMMENT 'Current location region',
  `abc_class` string NOT NULL COMMENT 'A/B/C by cumulative share of the last 12 months\' units (80/15/5%)',
  `xyz_class` string NOT NULL COMMENT 'X/Y/Z by coefficient of variation of monthly units (<0.5, <1.0, else)',
  `execution_lag` bigint NOT NULL COMMENT 'Lag (months) that matters for execution: ceil(lead_time_days/30)-1 in 0..4',
  `first_month` date NOT NULL COMMENT 'First month with sales',
  `last_month` date NOT NULL COMMENT 'Last month with sales',
  `n_months` bigint NOT NULL COMMENT 'Months from first_month to the last month of data, inclusive',
  `qty_12m` double NOT NULL COMMENT 'Units sold in the last 12 months of data',
  `cluster_id` bigint COMMENT 'Current demand-pattern cluster (set by the forecasting job)',
  `cluster_label` string COMMENT 'Human-readable cluster label'
) USING iceberg
COMMENT 'one row per DFU (item x location with sales)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
