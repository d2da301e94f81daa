-- ops.ingest_files
-- grain: one row per landing file per batch
-- primary key: source, batch_id, source_file
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: bronze; served: no
-- contract: contracts.bronze.IngestFile
-- File-level ingest log: every landing file with its hash, detected format and outcome.
CREATE TABLE IF NOT EXISTS lakecast.ops.ingest_files (
  `source` string NOT NULL COMMENT 'Landing source name (e.g. sales_lines)',
  `batch_id` string NOT NULL COMMENT 'Landing batch directory name',
  `source_file` string NOT NULL COMMENT 'File name within the batch',
  `sha256` string NOT NULL COMMENT 'Content hash of the file; a batch is re-landed only if a hash changes',
  `file_format` string NOT NULL COMMENT 'csv or parquet',
  `encoding` string COMMENT 'Text encoding detected for CSV files',
  `delimiter` string COMMENT 'Field delimiter detected for CSV files',
  `status` string NOT NULL COMMENT 'accepted or rejected',
  `reason` string COMMENT 'Why a rejected file was rejected, in plain words',
  `rows` bigint NOT NULL COMMENT 'Data rows landed from this file (0 when rejected)',
  `ingested_at` timestamp NOT NULL COMMENT 'UTC time the file was processed',
  `file_bytes` bigint COMMENT 'File size in bytes as delivered',
  `physical_lines` bigint COMMENT 'CSV: newline-separated lines, header and blank lines included (null for Parquet)',
  `records` bigint COMMENT 'Data records in the file: CSV by a quote-aware line scan (physical_lines = header + blank lines + the lines of every record), Parquet from its footer; an accepted file lands exactly this many rows'
) USING iceberg
COMMENT 'one row per landing file per batch'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
