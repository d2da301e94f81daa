-- gold.model_scores_detail
-- grain: one row per model x lag x segment (latest competition, holdout window; segment 'all' = every DFU)
-- primary key: model_id, lag, segment
-- partitioned by: (unpartitioned)
-- sorted by: segment, lag, model_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.ModelScoreDetail
CREATE TABLE IF NOT EXISTS lakecast.gold.model_scores_detail (
  `model_id` string NOT NULL COMMENT 'Model, combo_mean, champion, ceiling or external (the legacy forecast)',
  `lag` bigint NOT NULL COMMENT 'Lag of the scored rows (0..4)',
  `segment` string NOT NULL COMMENT 'DFU segment at the first holdout origin (cluster label), or \'all\'',
  `n_rows` bigint NOT NULL COMMENT 'DFU-months scored on the holdout at this lag in this segment',
  `accuracy_pct` double COMMENT '100 x (1 - WAPE), floored at 0',
  `wape` double COMMENT 'sum|F-A| / sum|A|',
  `bias` double COMMENT 'sum F / sum A - 1',
  `srmse` double COMMENT 'Scaled RMSE (scale = each DFU\'s mean |actual| on these rows)',
  `rmsse` double COMMENT 'M5 RMSSE: RMSE scaled by each DFU\'s mean squared one-step change of its actuals up to the first holdout origin; the selection metric of intermittent segments',
  `wape_cum3` double COMMENT 'WAPE of 3-month cumulative demand (lags 0-2 summed per DFU and origin); the lens for intermittent demand; same on every lag',
  `fva_vs_baseline` double COMMENT 'Accuracy points over seasonal naive, same rows',
  `fva_vs_external` double COMMENT 'Accuracy points over the legacy forecast, same rows',
  `gap_to_ceiling` double COMMENT 'Accuracy points below the oracle ceiling',
  `coverage_80` double COMMENT 'Share of actuals inside the 80% interval',
  `coverage_95` double COMMENT 'Share of actuals inside the 95% interval',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per model x lag x segment (latest competition, holdout window; segment \'all\' = every DFU)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
