-- ops.batch_reconciliation
-- grain: one row per event of a landing batch of a bronze table (append-only history)
-- primary key: source_table, batch_id, seq
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: silver; served: no
-- contract: contracts.silver.BatchReconciliation
-- Row accounting per batch, appended by the silver job: a row is never rewritten; a later delivery that supersedes rows, a withdrawal or a re-validation adds a row. The row with the highest seq is the batch's current accounting; landed = accepted + quarantined on every row.
CREATE TABLE IF NOT EXISTS lakecast.ops.batch_reconciliation (
  `source_table` string NOT NULL COMMENT 'Bronze table (e.g. bronze.sales_lines)',
  `batch_id` string NOT NULL COMMENT 'Landing batch',
  `seq` bigint NOT NULL COMMENT '1, 2, 3, ... per (source_table, batch_id): the batch\'s events in order; the highest is its current accounting',
  `event` string NOT NULL COMMENT 'received (first silver run over the batch), redelivered (its content was landed again, e.g. by `lakecast batch replay`), superseded_by (rows of this batch now lose to a later delivery of other_batch), revalidated (the batch\'s numbers moved for another reason, e.g. a master or a competing batch arrived or left), withdrawn (its rows left bronze)',
  `other_batch` string COMMENT 'superseded_by: the later batch whose rows win; else null',
  `rows` bigint NOT NULL COMMENT 'received/redelivered: rows landed; superseded_by: rows of this batch that other_batch supersedes now (0 = none any more); revalidated: change in rows_accepted; withdrawn: rows removed from bronze',
  `rows_landed` bigint NOT NULL COMMENT 'Rows in bronze for the batch after the event',
  `rows_accepted` bigint NOT NULL COMMENT 'Rows that passed validation after the event (masters: before SCD2 collapsing); on a received row superseded rows still count as accepted',
  `rows_quarantined` bigint NOT NULL COMMENT 'Rows in silver.quarantine after the event; landed = accepted + quarantined on every row',
  `ingested_at` timestamp COMMENT 'When bronze landed the content this row describes (null once withdrawn)',
  `recorded_at` timestamp NOT NULL COMMENT 'UTC time of the silver run that recorded the event'
) USING iceberg
COMMENT 'one row per event of a landing batch of a bronze table (append-only history)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
