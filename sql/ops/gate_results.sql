-- ops.gate_results
-- grain: one row per gate per table per run
-- primary key: run_id, table_name, gate, column_name
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: gold (also written by: forecast, final); served: no
-- contract: contracts.gold.GateResult
CREATE TABLE IF NOT EXISTS lakecast.ops.gate_results (
  `run_id` string NOT NULL COMMENT 'Pipeline run that evaluated the gate',
  `table_name` string NOT NULL COMMENT 'Gold table checked',
  `gate` string NOT NULL COMMENT 'not_null | unique_key | referential_integrity | row_count_drift',
  `column_name` string COMMENT 'Column(s) the gate checked',
  `passed` boolean NOT NULL COMMENT 'True if the gate passed',
  `observed` double COMMENT 'Measured value (violations, or drift fraction)',
  `threshold` double COMMENT 'Allowed value',
  `detail` string NOT NULL COMMENT 'Plain-words outcome',
  `checked_at` timestamp NOT NULL COMMENT 'UTC time of the check'
) USING iceberg
COMMENT 'one row per gate per table per run'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
