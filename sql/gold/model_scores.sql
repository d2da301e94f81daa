-- gold.model_scores
-- grain: one row per model (latest competition, holdout window)
-- primary key: model_id
-- partitioned by: (unpartitioned)
-- sorted by: model_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.ModelScore
CREATE TABLE IF NOT EXISTS lakecast.gold.model_scores (
  `model_id` string NOT NULL COMMENT 'Model, combo_mean, champion, ceiling or external',
  `algorithm_id` string NOT NULL COMMENT 'Model family',
  `n_rows` bigint NOT NULL COMMENT 'DFU-months scored on the holdout at the competition lag',
  `accuracy_pct` double COMMENT '100 x (1 - WAPE), floored at 0',
  `wape` double COMMENT 'sum|F-A| / sum|A|',
  `bias` double COMMENT 'sum F / sum A - 1',
  `fva_vs_baseline` double COMMENT 'Accuracy points over seasonal naive, same rows',
  `fva_vs_external` double COMMENT 'Accuracy points over the legacy forecast',
  `gap_to_ceiling` double COMMENT 'Accuracy points below the oracle ceiling',
  `champion_share` double COMMENT 'Share of DFUs whose champion this model is',
  `competition_lag` bigint COMMENT 'Lag the scores are at (null = all lags)',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per model (latest competition, holdout window)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
