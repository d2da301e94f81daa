-- gold.dfu_cluster
-- grain: one row per DFU per clustering origin
-- primary key: dfu_id, fcst_origin
-- partitioned by: (unpartitioned)
-- sorted by: fcst_origin, dfu_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.DfuCluster
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.dfu_cluster (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `fcst_origin` date NOT NULL COMMENT 'Origin the cluster was computed at (data <= origin only)',
  `timeframe` string NOT NULL COMMENT 'Backtest origin label A..J, or \'forward\' for the current origin',
  `cluster_id` bigint NOT NULL COMMENT 'Cluster id at that origin',
  `cluster_label` string NOT NULL COMMENT 'Human-readable label, e.g. \'seasonal high-volume\'',
  `is_current` boolean NOT NULL COMMENT 'True for the clustering at the last month of actuals',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per DFU per clustering origin'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
