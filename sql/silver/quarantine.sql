-- silver.quarantine
-- grain: one row per rejected landing row
-- primary key: source_table, batch_id, source_file, row_number
-- partitioned by: source_table
-- sorted by: (none)
-- produced by job: silver; served: no
-- contract: contracts.silver.Quarantine
-- Every row silver refused, with the rule it failed and its raw payload.
CREATE TABLE IF NOT EXISTS lakecast.silver.quarantine (
  `source_table` string NOT NULL COMMENT 'Bronze table the row came from (e.g. bronze.sales_lines)',
  `batch_id` string NOT NULL COMMENT 'Landing batch',
  `source_file` string NOT NULL COMMENT 'Landing file',
  `row_number` bigint NOT NULL COMMENT 'Data row number in the landing file',
  `rule` string NOT NULL COMMENT 'First validation rule the row failed (e.g. bad_date, duplicate_line)',
  `detail` string COMMENT 'Human-readable explanation with the offending value',
  `raw_payload` string NOT NULL COMMENT 'The row as landed, as a JSON object of strings'
) USING iceberg
PARTITIONED BY (source_table)
COMMENT 'one row per rejected landing row'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
