-- gold.dim_calendar
-- grain: one row per calendar day
-- primary key: date
-- partitioned by: (unpartitioned)
-- sorted by: date
-- produced by job: gold; served: yes
-- contract: contracts.gold.DimCalendar
CREATE TABLE IF NOT EXISTS lakecast.gold.dim_calendar (
  `date` date NOT NULL COMMENT 'Calendar day',
  `week_start` date NOT NULL COMMENT 'Monday of the ISO week containing the day',
  `month_start` date NOT NULL COMMENT 'First day of the month',
  `quarter_start` date NOT NULL COMMENT 'First day of the quarter',
  `year` bigint NOT NULL COMMENT 'Calendar year',
  `quarter` bigint NOT NULL COMMENT 'Quarter 1..4',
  `month` bigint NOT NULL COMMENT 'Month of year 1..12',
  `iso_week` bigint NOT NULL COMMENT 'ISO week number',
  `day_of_week` bigint NOT NULL COMMENT 'ISO day of week, 1 = Monday'
) USING iceberg
COMMENT 'one row per calendar day'
TBLPROPERTIES ('format-version'='2', 'write.parquet.compression-codec'='zstd', 'write.distribution-mode'='hash');
