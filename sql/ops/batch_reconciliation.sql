-- ops.batch_reconciliation
-- grain: one row per bronze table per landing batch
-- primary key: source_table, batch_id
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: silver; served: no
-- contract: contracts.silver.BatchReconciliation
-- Row accounting per batch, written by the silver job: landed = accepted + quarantined.
CREATE TABLE IF NOT EXISTS lakecast.ops.batch_reconciliation (
  `source_table` string NOT NULL COMMENT 'Bronze table (e.g. bronze.sales_lines)',
  `batch_id` string NOT NULL COMMENT 'Landing batch',
  `rows_landed` bigint NOT NULL COMMENT 'Rows in bronze for the batch',
  `rows_accepted` bigint NOT NULL COMMENT 'Rows that passed validation (for masters: before SCD2 collapsing)',
  `rows_quarantined` bigint NOT NULL COMMENT 'Rows written to silver.quarantine; landed = accepted + quarantined'
) USING iceberg
COMMENT 'one row per bronze table per landing batch'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
