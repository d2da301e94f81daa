-- ops.published_runs
-- grain: one row per table per published job run (append-only)
-- primary key: seq, table_name
-- partitioned by: (unpartitioned)
-- sorted by: (none)
-- produced by job: (none); served: no
-- contract: contracts.ops.PublishedRun
-- Run manifests: a job commits its tables, then appends one row per table it writes in one atomic commit; the serving engine reads each listed table at the snapshot of its highest-seq row, so the tables of one run become visible together or not at all. Tables never listed are read at their current snapshot. Never listed itself: it is read at its current snapshot.
CREATE TABLE IF NOT EXISTS lakecast.ops.published_runs (
  `seq` bigint NOT NULL COMMENT 'Publish sequence number: one per publish, shared by all its rows, increasing; the row with the highest seq for a table is the one served',
  `job` string NOT NULL COMMENT 'Job (or batch action) that published: bronze, silver, gold, forecast, final, maintain, batch',
  `run_id` string NOT NULL COMMENT 'The job run that wrote the snapshots',
  `table_name` string NOT NULL COMMENT 'Table published (namespace.table)',
  `snapshot_id` bigint NOT NULL COMMENT 'Iceberg snapshot id of the table the run published',
  `published_at` timestamp NOT NULL COMMENT 'UTC time of the publish'
) USING iceberg
COMMENT 'one row per table per published job run (append-only)'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
