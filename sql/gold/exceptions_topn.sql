-- gold.exceptions_topn
-- grain: one row per ranking x lag x window x rank (the champion's worst DFUs, unfiltered)
-- primary key: rank_by, lag_spec, model_id, window_from, window_to, rank
-- partitioned by: (unpartitioned)
-- sorted by: rank_by, lag_spec, model_id, window_from, rank
-- produced by job: forecast (also written by: gold); served: yes
-- contract: contracts.aggregates.ExceptionsTopn
-- foreign key: dfu_id -> gold.dim_dfu.dfu_id
CREATE TABLE IF NOT EXISTS lakecast.gold.exceptions_topn (
  `rank_by` string NOT NULL COMMENT 'error (sum |F-A|) | bias (|sum F - sum A|) | fva (sum|E_ref| - sum|E_model|, most negative first)',
  `lag_spec` string NOT NULL COMMENT 'execution | all | 0..4, as the API\'s lag parameter',
  `model_id` string NOT NULL COMMENT 'Model ranked (champion)',
  `fva_vs` string NOT NULL COMMENT 'FVA reference model (the API\'s default for model_id)',
  `window_from` date NOT NULL COMMENT 'First target month of the window (inclusive)',
  `window_to` date NOT NULL COMMENT 'Last target month of the window (the last backtested month)',
  `rank` bigint NOT NULL COMMENT '1 = worst; ties broken by dfu_id',
  `total` bigint NOT NULL COMMENT 'DFUs ranked in this list (all of them, not only the ranks kept)',
  `dfu_id` string NOT NULL COMMENT 'DFU key',
  `item_id` string NOT NULL COMMENT 'Item key',
  `location_id` string NOT NULL COMMENT 'Location key',
  `category` string COMMENT 'Current item category',
  `region` string COMMENT 'Current location region',
  `abc_class` string NOT NULL COMMENT 'ABC class',
  `cluster_label` string COMMENT 'Current cluster label',
  `n_rows` bigint NOT NULL COMMENT 'Accuracy rows of the DFU pooled',
  `actual_qty` double NOT NULL COMMENT 'Sum of actual units',
  `forecast_qty` double NOT NULL COMMENT 'Sum of forecast units',
  `abs_error` double NOT NULL COMMENT 'Sum of |forecast - actual| (units)',
  `abs_actual` double NOT NULL COMMENT 'Sum of |actual| (units): the WAPE denominator',
  `ape_sum` double COMMENT 'Sum of |F-A| / |A| over the rows with A != 0 (MAPE numerator; null when there is none)',
  `ape_rows` bigint NOT NULL COMMENT 'Rows with A != 0 (MAPE denominator)',
  `fva_units` double COMMENT 'sum|E_ref| - sum|E_model| on the rows both have (units)',
  `fva_model_abs_error` double COMMENT 'The model\'s sum |F-A| on those rows',
  `fva_ref_abs_error` double COMMENT 'The reference\'s sum |F-A| on those rows',
  `fva_abs_actual` double COMMENT 'Sum |A| on those rows',
  `run_id` string NOT NULL COMMENT 'Forecast run of the accuracy facts ranked'
) USING iceberg
COMMENT 'one row per ranking x lag x window x rank (the champion\'s worst DFUs, unfiltered)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
