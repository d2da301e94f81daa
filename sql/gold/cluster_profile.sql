-- gold.cluster_profile
-- grain: one row per current cluster
-- primary key: cluster_id
-- partitioned by: (unpartitioned)
-- sorted by: cluster_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.ClusterProfile
CREATE TABLE IF NOT EXISTS lakecast.gold.cluster_profile (
  `cluster_id` bigint NOT NULL COMMENT 'Cluster id (current clustering)',
  `cluster_label` string NOT NULL COMMENT 'Human-readable label',
  `fcst_origin` date NOT NULL COMMENT 'Origin of the clustering',
  `n_dfus` bigint NOT NULL COMMENT 'DFUs in the cluster',
  `share` double NOT NULL COMMENT 'Share of DFUs, 0..1',
  `volume` double COMMENT 'Median mean monthly units (last 12 months)',
  `cv` double COMMENT 'Median coefficient of variation of monthly units',
  `seasonality` double COMMENT 'Median seasonality strength 0..1',
  `trend` double COMMENT 'Median relative trend per month',
  `adi` double COMMENT 'Median average demand interval (months)',
  `cv2` double COMMENT 'Median squared CV of non-zero demand',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per current cluster'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
