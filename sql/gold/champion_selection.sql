-- gold.champion_selection
-- grain: one row per DFU (latest competition)
-- primary key: dfu_id
-- partitioned by: (unpartitioned)
-- sorted by: dfu_id
-- produced by job: forecast; served: yes
-- contract: contracts.forecast.ChampionSelection
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.champion_selection (
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `champion_model_id` string NOT NULL COMMENT 'Model chosen for the DFU',
  `selection_metric` string NOT NULL COMMENT 'Metric used to choose (wape, mae when wape is undefined, none)',
  `selection_score` double COMMENT 'Champion\'s metric on the selection window',
  `selection_rows` bigint NOT NULL COMMENT 'Scored rows behind the choice',
  `holdout_wape` double COMMENT 'Champion\'s WAPE on the later holdout window',
  `holdout_rows` bigint NOT NULL COMMENT 'Rows in the holdout score',
  `is_fallback` boolean NOT NULL COMMENT 'True if no model had enough rows and the fallback model was used',
  `competition_lag` bigint COMMENT 'Lag the competition ran at (null = all lags)',
  `selection_timeframes` string NOT NULL COMMENT 'Timeframes used to choose, e.g. \'A,B,C,D,E,F\'',
  `holdout_timeframes` string NOT NULL COMMENT 'Later timeframes used to score, e.g. \'I,J\'',
  `run_id` string NOT NULL COMMENT 'Pipeline run'
) USING iceberg
COMMENT 'one row per DFU (latest competition)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
