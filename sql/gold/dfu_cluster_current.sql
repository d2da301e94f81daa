-- gold.dfu_cluster_current
-- grain: one row per DFU (current clustering)
-- primary key: dfu_id
-- partitioned by: (unpartitioned)
-- sorted by: dfu_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.DfuClusterCurrent
CREATE TABLE IF NOT EXISTS lakecast.gold.dfu_cluster_current (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `cluster_id` bigint NOT NULL COMMENT 'Current cluster id',
  `cluster_label` string NOT NULL COMMENT 'Human-readable label',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals the clustering saw',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per DFU (current clustering)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
