-- gold.agg_accuracy_cube
-- grain: one row per model x lag x target month x location x category x cluster x ABC x XYZ x execution-lag flag x aligned flag x previous-month columns (backtest accuracy sums)
-- primary key: model_id, lag, target_month, location_id, category, cluster_id, abc_class, xyz_class, is_execution_lag, is_aligned, prev_month_lag, prev_month_any, prev_month_aligned
-- partitioned by: years(target_month)
-- sorted by: model_id, lag, target_month, location_id
-- produced by job: forecast (also written by: gold); served: yes
-- contract: contracts.aggregates.AggAccuracyCube
-- foreign key: location_id -> gold.dim_location.location_id
CREATE TABLE IF NOT EXISTS lakecast.gold.agg_accuracy_cube (
  `model_id` string NOT NULL COMMENT 'Model, combo_mean, champion, ceiling or external (the legacy forecast)',
  `lag` bigint NOT NULL COMMENT 'Lag in months (lakecast/lag.py)',
  `timeframe` string NOT NULL COMMENT 'Backtest origin label A..J (one per target month at a lag)',
  `fcst_origin` date NOT NULL COMMENT 'Last month of actuals visible to the forecast',
  `target_month` date NOT NULL COMMENT 'Month forecast',
  `location_id` string NOT NULL COMMENT 'Location of the DFUs',
  `region` string COMMENT 'Current region of the location',
  `category` string COMMENT 'Current item category of the DFUs',
  `cluster_id` bigint COMMENT 'Current cluster of the DFUs (gold.dim_dfu)',
  `cluster_label` string COMMENT 'Label of cluster_id',
  `abc_class` string NOT NULL COMMENT 'ABC class of the DFUs',
  `xyz_class` string NOT NULL COMMENT 'XYZ class of the DFUs',
  `is_execution_lag` boolean NOT NULL COMMENT 'lag = the DFUs\' execution lag (the default lag of every KPI)',
  `is_aligned` boolean NOT NULL COMMENT 'The DFU-month is forecast at every lag by the model (aligned lag curve)',
  `prev_month_lag` date COMMENT 'Per DFU: the previous target month with a row of the model at this lag (null: none). A DFU\'s first row inside a month range [from, to] is the one with prev_month_lag < from, so distinct DFUs = sum(n_rows) over the cells with prev_month_lag IS NULL OR < from',
  `prev_month_any` date COMMENT 'Per DFU: the target month of the model\'s previous row in (target_month, lag) order, any lag (the same month for every lag of a month but the lowest): distinct DFUs when lags are pooled',
  `prev_month_aligned` date COMMENT 'Per DFU, aligned rows only: the previous aligned target month at this lag',
  `n_rows` bigint NOT NULL COMMENT 'Accuracy rows (DFU x target month at the lag) pooled in the cell',
  `actual_qty` double NOT NULL COMMENT 'Sum of actual units',
  `forecast_qty` double NOT NULL COMMENT 'Sum of forecast units',
  `abs_error` double NOT NULL COMMENT 'Sum of |forecast - actual| (units)',
  `abs_actual` double NOT NULL COMMENT 'Sum of |actual| (units): the WAPE denominator',
  `ape_sum` double COMMENT 'Sum of |F-A| / |A| over the rows with A != 0 (MAPE numerator; null when there is none)',
  `ape_rows` bigint NOT NULL COMMENT 'Rows with A != 0 (MAPE denominator)',
  `run_id` string NOT NULL COMMENT 'Forecast run of the accuracy facts summed'
) USING iceberg
PARTITIONED BY (years(target_month))
COMMENT 'one row per model x lag x target month x location x category x cluster x ABC x XYZ x execution-lag flag x aligned flag x previous-month columns (backtest accuracy sums)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
