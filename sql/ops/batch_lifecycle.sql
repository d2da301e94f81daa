-- ops.batch_lifecycle
-- grain: one row per withdrawal or replay of a landing batch (append-only)
-- primary key: source, batch_id, at
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: (none); served: no
-- contract: contracts.bronze.BatchLifecycle
-- Withdrawals and replays of landing batches, with who, why and the rows removed; bronze skips a batch whose latest action is withdrawn.
CREATE TABLE IF NOT EXISTS lakecast.ops.batch_lifecycle (
  `source` string NOT NULL COMMENT 'Landing source name (e.g. sales_lines)',
  `batch_id` string NOT NULL COMMENT 'Landing batch directory name',
  `action` string NOT NULL COMMENT 'withdrawn (rows removed, bronze skips the batch) or replayed (re-landed, the withdrawn mark cleared); the latest action per source and batch is its state',
  `actor` string NOT NULL COMMENT 'Who did it: `--by`, else the OS user',
  `reason` string NOT NULL COMMENT 'Why, as given with --reason',
  `at` timestamp NOT NULL COMMENT 'UTC time of the action',
  `files` bigint NOT NULL COMMENT 'Landing files of the batch at the time (ops.ingest_files)',
  `bronze_rows` bigint NOT NULL COMMENT 'withdrawn: rows removed from bronze; replayed: rows in bronze before the replay (0 after a withdrawal)',
  `silver_rows` bigint NOT NULL COMMENT 'withdrawn: the batch\'s rows in silver fact tables at the time (removed by the silver run that follows)',
  `quarantined_rows` bigint NOT NULL COMMENT 'withdrawn: the batch\'s rows in silver.quarantine at the time',
  `audit_id` bigint COMMENT 'id of the matching row in the app database\'s audit_log'
) USING iceberg
COMMENT 'one row per withdrawal or replay of a landing batch (append-only)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
