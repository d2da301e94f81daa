"""Malformed-file corpus (tests/fixtures/malformed, see EXPECTED.md): every landing file gets a clear outcome.

A file is either rejected as a whole (ops.ingest_files status `rejected` with a reason in plain words) or
accepted, and then every one of its data rows is in bronze and ends in silver or in silver.quarantine under a
named rule. Nothing raises and nothing disappears without a trace. The expected counts below were counted by
hand from the corpus files, not read from the job.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from lakecast.runtime.spark import get_spark
from lakecast.settings import Settings
from spark_jobs import bronze, silver

pytestmark = [pytest.mark.spark, pytest.mark.integration]

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "malformed" / "landing"
SALES = CORPUS / "sales_lines"

ACCEPTED, REJECTED = "accepted", "rejected"
# (batch, file) -> (status, phrase the ingest reason must contain (None: no reason), data rows landed)
EXPECTED_FILES: dict[tuple[str, str], tuple[str, str | None, int]] = {
    ("2024-03-a-clean", "clean.csv"): (ACCEPTED, None, 3),
    ("2024-03-a-clean", "clean.parquet"): (ACCEPTED, None, 3),
    ("2024-03-b-encodings", "gzipped.csv"): (REJECTED, "not text in UTF-8, UTF-16 or cp1252", 0),
    ("2024-03-b-encodings", "latin1.csv"): (ACCEPTED, "transcoded from cp1252 to utf-8", 3),
    ("2024-03-b-encodings", "utf16_bom.csv"): (ACCEPTED, "transcoded from utf-16 to utf-8", 3),
    ("2024-03-b-encodings", "utf16_truncated.csv"): (REJECTED, "not valid UTF-16 (truncated?)", 0),
    ("2024-03-b-encodings", "utf16le_nobom.csv"): (REJECTED, "header lacks required columns", 0),
    ("2024-03-b-encodings", "utf8_bom.csv"): (ACCEPTED, None, 2),
    ("2024-03-c-delimiters", "crlf.csv"): (ACCEPTED, None, 2),
    ("2024-03-c-delimiters", "pipe.txt"): (ACCEPTED, None, 3),
    ("2024-03-c-delimiters", "quoted.csv"): (ACCEPTED, None, 4),
    ("2024-03-c-delimiters", "semicolon.csv"): (ACCEPTED, None, 3),
    ("2024-03-c-delimiters", "tabs.tsv"): (ACCEPTED, None, 2),
    ("2024-03-d-truncated", "extra_fields.csv"): (ACCEPTED, None, 5),
    ("2024-03-d-truncated", "truncated_midfield.csv"): (ACCEPTED, None, 3),
    ("2024-03-d-truncated", "unclosed_quote.csv"): (ACCEPTED, None, 3),
    # 4 data lines, but the quote opened on data line 2 never closes and would fold lines 2-4 into one record:
    # the line scan sees record-shaped lines inside the quoted field and rejects the file (nothing lands).
    ("2024-03-d-truncated", "unclosed_quote_mid.csv"): (REJECTED, "swallows 2 line(s) shaped like records", 0),
    ("2024-03-e-headers", "duplicate_header.csv"): (REJECTED, "header repeats a column name", 0),
    ("2024-03-e-headers", "extra_column.csv"): (ACCEPTED, "ignored unknown columns ['channel']", 3),
    ("2024-03-e-headers", "extra_column.parquet"): (ACCEPTED, "ignored unknown columns ['channel']", 2),
    ("2024-03-e-headers", "header_case.csv"): (ACCEPTED, None, 2),
    ("2024-03-e-headers", "header_only.csv"): (ACCEPTED, None, 0),
    ("2024-03-e-headers", "int_qty.parquet"): (ACCEPTED, None, 2),
    ("2024-03-e-headers", "nanosecond_dates.parquet"): (REJECTED, "of a type Spark cannot read", 0),
    ("2024-03-e-headers", "reordered.csv"): (ACCEPTED, None, 3),
    ("2024-03-e-headers", "wrong_header.csv"): (REJECTED, "header lacks required columns", 0),
    ("2024-03-f-rejects", "bom_only.csv"): (REJECTED, "holds only whitespace", 0),
    ("2024-03-f-rejects", "corrupt_pages.parquet"): (REJECTED, "unreadable parquet file", 0),
    ("2024-03-f-rejects", "empty.csv"): (REJECTED, "empty file (0 bytes)", 0),
    ("2024-03-f-rejects", "missing_column.parquet"): (REJECTED, "schema lacks required columns ['qty']", 0),
    ("2024-03-f-rejects", "nested"): (REJECTED, "subdirectory inside a batch is not read", 0),
    ("2024-03-f-rejects", "orders.json"): (REJECTED, "unsupported file type '.json'", 0),
    ("2024-03-f-rejects", "orders.xlsx"): (REJECTED, "unsupported file type '.xlsx'", 0),
    ("2024-03-f-rejects", "truncated.parquet"): (REJECTED, "unreadable parquet file", 0),
    ("2024-03-f-rejects", "whitespace.csv"): (REJECTED, "holds only whitespace", 0),
    ("2024-03-g-names", "sales lines (copy).csv"): (ACCEPTED, None, 2),
    ("2024-03-g-names", "sales+returns,v2.csv"): (ACCEPTED, None, 2),
    ("2024-03-g-names", "sales[1].csv"): (ACCEPTED, None, 2),
    ("2024-03-g-names", "ventes_février.csv"): (ACCEPTED, None, 2),
    ("2024-03-h-datetimes", "datetime_text.csv"): (ACCEPTED, None, 4),
    ("2024-03-h-datetimes", "timestamp_dates.parquet"): (ACCEPTED, None, 2),
}

# (batch, file, row_number) -> rule of every sales row silver must quarantine; all other landed rows pass.
EXPECTED_QUARANTINE: dict[tuple[str, str, int], str] = {
    ("2024-03-c-delimiters", "semicolon.csv", 2): "non_numeric_price",  # decimal comma "12,50"
    ("2024-03-d-truncated", "extra_fields.csv", 2): "malformed_row",  # 9 fields
    ("2024-03-d-truncated", "extra_fields.csv", 3): "malformed_row",  # 10 fields
    ("2024-03-d-truncated", "extra_fields.csv", 4): "malformed_row",  # 7 fields
    ("2024-03-d-truncated", "truncated_midfield.csv", 3): "malformed_row",
    ("2024-03-d-truncated", "unclosed_quote.csv", 3): "malformed_row",
    ("2024-03-h-datetimes", "datetime_text.csv", 1): "bad_date",
    ("2024-03-h-datetimes", "datetime_text.csv", 2): "bad_date",
    ("2024-03-h-datetimes", "datetime_text.csv", 3): "bad_date",
    ("2024-03-h-datetimes", "timestamp_dates.parquet", 1): "bad_date",
    ("2024-03-h-datetimes", "timestamp_dates.parquet", 2): "bad_date",
}


FILES = EXPECTED_FILES
QUARANTINE = EXPECTED_QUARANTINE


@dataclass
class CorpusRun:
    settings: Settings
    spark: Any
    bronze: bronze.BronzeResult
    silver: silver.SilverResult

    def table(self, fqn: str):
        return self.spark.table(f"{self.settings.catalog.name}.{fqn}")


@pytest.fixture(scope="module")
def run(spark, isolated_settings) -> CorpusRun:
    """Copy the corpus to <tmp>/landing and run bronze then silver once on an isolated catalog."""
    settings = isolated_settings("malformed")
    shutil.copytree(CORPUS, settings.landing_dir)
    # a file dropped next to the batch directories instead of inside one
    clean = (SALES / "2024-03-a-clean" / "clean.csv").read_text()
    (settings.landing_dir / "sales_lines" / "stray.csv").write_text(clean)
    session = get_spark(settings)
    b = bronze.run(session, settings)
    s = silver.run(session, settings)
    return CorpusRun(settings, session, b, s)


def _ingest(run: CorpusRun) -> dict[tuple[str, str], Any]:
    rows = run.table("ops.ingest_files").where(F.col("source") == "sales_lines").collect()
    return {(r.batch_id, r.source_file): r for r in rows}


def _rows(run: CorpusRun, table: str, column: str, value: str, *key: str) -> dict:
    """Rows of ``table`` where ``column == value``, keyed by the ``key`` columns (one column: its value)."""
    out = {}
    for r in run.table(table).where(F.col(column) == value).collect():
        k = tuple(r[c] for c in key)
        out[k[0] if len(k) == 1 else k] = r
    return out


def _count_by(df, *cols) -> dict:
    return {tuple(r[c] for c in cols): r["count"] for r in df.groupBy(*cols).count().collect()}


def test_corpus_matches_the_expected_table():
    on_disk = {(b.name, f.name) for b in SALES.iterdir() if b.is_dir() for f in b.iterdir()}
    assert on_disk == set(EXPECTED_FILES)


def test_every_file_is_logged_with_its_status_reason_and_rows(run):
    logged = _ingest(run)
    on_disk = {(b.name, f.name) for b in run.settings.landing_dir.joinpath("sales_lines").iterdir()
               if b.is_dir() for f in b.iterdir()}
    assert set(logged) == on_disk == set(FILES), "a landing file is missing from ops.ingest_files"
    for key, (status, phrase, rows) in FILES.items():
        got = logged[key]
        assert got.status == status, (key, got.reason)
        if phrase is None:
            assert got.reason is None, (key, got.reason)
        else:
            assert phrase in (got.reason or ""), (key, got.reason)
        assert got.rows == rows, key
    rejected = {(b, f) for src, b, f, _ in run.bronze.rejected_files if src == "sales_lines" and b}
    assert rejected == {k for k, v in FILES.items() if v[0] == REJECTED}


def test_a_file_outside_any_batch_directory_is_reported_not_skipped_silently(run):
    stray = [(b, why) for src, b, f, why in run.bronze.rejected_files if src == "sales_lines" and f == "stray.csv"]
    assert stray == [("", "not in a batch directory: move it to landing/sales_lines/<batch_id>/stray.csv")]
    assert run.table("bronze.sales_lines").where(F.col("_source_file") == "stray.csv").count() == 0


def test_bronze_holds_exactly_the_rows_of_accepted_files(run):
    landed = _count_by(run.table("bronze.sales_lines"), "_batch_id", "_source_file")
    assert landed == {k: v[2] for k, v in FILES.items() if v[2] > 0}
    numbers = _count_by(run.table("bronze.sales_lines"), "_batch_id", "_source_file", "_row_number")
    assert set(numbers.values()) == {1}
    for (b, f), (_, _, rows) in FILES.items():
        got = sorted(n for (bb, ff, n) in numbers if (bb, ff) == (b, f))
        assert got == list(range(1, rows + 1)), (b, f)
    assert run.bronze.rows["sales_lines"] == sum(v[2] for v in FILES.values())


def test_every_batch_reconciles(run):
    recon = {r.batch_id: r for r in run.table("ops.batch_reconciliation")
             .where(F.col("source_table") == "bronze.sales_lines").orderBy("seq").collect()}
    bronze_rows = {k[0]: v for k, v in _count_by(run.table("bronze.sales_lines"), "_batch_id").items()}
    silver_rows = {k[0]: v for k, v in _count_by(run.table("silver.sales_lines"), "_batch_id").items()}
    q = run.table("silver.quarantine").where(F.col("source_table") == "bronze.sales_lines")
    quarantined = {k[0]: v for k, v in _count_by(q, "batch_id").items()}
    batches = sorted({b for b, _ in FILES})
    for batch in batches:
        expected_landed = sum(rows for (b, _), (_, _, rows) in FILES.items() if b == batch)
        expected_quarantined = sum(1 for (b, _, _) in QUARANTINE if b == batch)
        assert bronze_rows.get(batch, 0) == expected_landed, batch
        assert quarantined.get(batch, 0) == expected_quarantined, batch
        assert silver_rows.get(batch, 0) == expected_landed - expected_quarantined, batch
        if expected_landed == 0:
            # A batch whose files were all rejected has no bronze rows, hence no reconciliation row.
            assert batch not in recon
            continue
        rec = recon[batch]
        assert rec.rows_landed == expected_landed == rec.rows_accepted + rec.rows_quarantined, batch
        assert rec.rows_accepted == silver_rows.get(batch, 0), batch
        assert rec.rows_quarantined == quarantined.get(batch, 0), batch
    assert set(recon) == {b for b in batches if bronze_rows.get(b)}


def test_quarantined_rows_and_rules(run):
    q = run.table("silver.quarantine").where(F.col("source_table") == "bronze.sales_lines").collect()
    got = {(r.batch_id, r.source_file, r.row_number): r.rule for r in q}
    assert got == QUARANTINE
    payload = {(r.source_file, r.row_number): r.raw_payload for r in q}
    assert "SL-TRM-3,2024-03-0" in payload[("truncated_midfield.csv", 3)]
    assert "surplus" in payload[("extra_fields.csv", 2)]
    assert run.silver.quarantined_by_rule == {"malformed_row": 5, "non_numeric_price": 1, "bad_date": 5}
    # Date-time text is a bad date with the offending value in the detail, not a failed job.
    details = {r.detail for r in q if r.rule == "bad_date"}
    assert any("2024-03-01 00:00:00" in (d or "") for d in details), details


def test_reordered_header_lands_by_column_name(run):
    r1 = _rows(run, "bronze.sales_lines", "_source_file", "reordered.csv", "line_id")["SL-RO-1"]
    cols = ("sale_date", "item_id", "location_id", "customer_id", "qty", "unit_price", "promo_flag")
    assert tuple(r1[c] for c in cols) == ("2024-03-07", "I0003", "L002", "C0001", "7", "70.25", "1")
    s = _rows(run, "silver.sales_lines", "_source_file", "reordered.csv", "line_id")
    assert (s["SL-RO-3"].customer_id, s["SL-RO-3"].qty, s["SL-RO-3"].unit_price) == ("C-MÜLLER", 9.0, 90.75)
    assert s["SL-RO-2"].customer_id is None and s["SL-RO-1"].promo_flag is True


def test_text_survives_encoding_detection_and_transcoding(run):
    b = _rows(run, "bronze.sales_lines", "_batch_id", "2024-03-b-encodings", "_source_file", "_row_number")
    assert [b[("latin1.csv", n)].line_id for n in (1, 2, 3)] == ["SL-LAT-é1", "SL-LAT-ü2", "SL-LAT-€3"]
    assert b[("latin1.csv", 1)].customer_id == "C-MÜLLER"
    assert b[("utf16_bom.csv", 1)].line_id == "SL-U16-ü1" and b[("utf16_bom.csv", 3)].promo_flag == "0"
    assert b[("utf8_bom.csv", 1)].line_id == "SL-BOM-ñ1"  # no BOM glued to the first value
    # Accented customer ids delivered in cp1252 / UTF-16 resolve against the UTF-8 customer master.
    s = _rows(run, "silver.sales_lines", "_batch_id", "2024-03-b-encodings", "line_id")
    assert s["SL-LAT-é1"].customer_id == "C-MÜLLER" and s["SL-U16-ü1"].customer_id == "C-ÉLAN"
    assert len(s) == 8


def test_quoting_and_line_ends_are_respected(run):
    rows = _rows(run, "bronze.sales_lines", "_batch_id", "2024-03-c-delimiters", "_source_file",
                 "_row_number")
    assert [rows[("quoted.csv", n)].line_id for n in (1, 2, 3, 4)] == [
        "SL-Q-1,a", 'SL-Q-"2"', "SL-Q-3\nsecond line", "SL-Q-4\r\nwindows"]
    assert rows[("quoted.csv", 4)].qty == "4" and rows[("quoted.csv", 3)].customer_id is None
    assert rows[("crlf.csv", 2)].promo_flag == "1"  # no "\r" left on the last field
    assert rows[("semicolon.csv", 2)].unit_price == "12,50"
    assert rows[("tabs.tsv", 2)].customer_id == "C0001" and rows[("pipe.txt", 3)].qty == "3"


def test_parquet_layouts_and_optional_columns(run):
    rows = _rows(run, "silver.sales_lines", "_batch_id", "2024-03-e-headers", "line_id")
    assert rows["SL-PQI-1"].qty == 5.0 and rows["SL-PQI-1"].promo_flag is True  # int64 qty, bool flag
    assert rows["SL-PQX-2"].customer_id == "C0001"  # upper-case column names, unknown column ignored
    # header_case.csv has no unit_price / promo_flag columns (optional): null price, no promotion
    assert rows["SL-HC-1"].unit_price is None and rows["SL-HC-1"].promo_flag is False


def test_rerunning_bronze_lands_nothing_twice(run):
    before = run.table("bronze.sales_lines").count()
    again = bronze.run(run.spark, run.settings, sources=["sales_lines"])
    assert again.landed_batches == {}
    assert sorted(again.skipped_batches["sales_lines"]) == sorted({b for b, _ in FILES})
    assert run.table("bronze.sales_lines").count() == before


def test_datetime_text_in_sale_date_is_a_bad_date_not_a_crash(spark):
    from spark_jobs.silver_rules import parse_date

    with (SALES / "2024-03-h-datetimes" / "datetime_text.csv").open(newline="") as fh:
        values = [row["sale_date"] for row in csv.DictReader(fh)]
    values.append("2024-03-01 00:00:00")  # what timestamp_dates.parquet lands as in bronze
    parsed = spark.createDataFrame([(v,) for v in values], "sale_date string").select(
        parse_date("sale_date").alias("d")).collect()
    assert [r.d.isoformat() if r.d else None for r in parsed] == [None, None, None, "2024-03-04", None]


# (batch, file) -> (physical lines, records) of CSV files whose lines and records differ or need a close look
EXPECTED_LINES = {
    ("2024-03-c-delimiters", "quoted.csv"): (7, 4),  # two records hold quoted line breaks
    ("2024-03-c-delimiters", "crlf.csv"): (3, 2),
    ("2024-03-d-truncated", "truncated_midfield.csv"): (4, 3),  # no final newline
    ("2024-03-d-truncated", "unclosed_quote.csv"): (4, 3),  # the last record's quote runs to the end: 1 line
    ("2024-03-d-truncated", "unclosed_quote_mid.csv"): (5, 2),  # lines 3-5 would be one record
    ("2024-03-e-headers", "header_only.csv"): (1, 0),
}


def test_every_file_records_its_bytes_lines_and_records(run):
    logged = _ingest(run)
    for (batch, name), (lines, records) in EXPECTED_LINES.items():
        got = logged[(batch, name)]
        assert (got.physical_lines, got.records) == (lines, records), (batch, name)
    for (batch, name), got in logged.items():
        path = SALES / batch / name
        if path.is_file():
            assert got.file_bytes == path.stat().st_size, (batch, name)
        if got.status == ACCEPTED:
            # what arrived is what landed: an accepted file lands exactly the records the line scan counted
            assert got.rows == got.records, (batch, name, got.reason)
            if got.file_format == "csv":
                assert got.physical_lines is not None and got.physical_lines >= got.records + 1, (batch, name)
    reason = logged[("2024-03-d-truncated", "unclosed_quote_mid.csv")].reason
    assert "a quoted field opened on line 3 runs to line 5" in reason and "unclosed quote" in reason, reason
