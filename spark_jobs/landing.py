"""Inspect landing files before Spark reads them: hash, encoding, delimiter, header, readability.

Pure Python on the driver, reading only a file's first bytes (and, for non-UTF-8 text, transcoding it once
to a UTF-8 staging copy), so that every file gets a clear accept/reject decision with a reason.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from contracts.landing import LandingSource

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "|", "\t")
FALLBACK_ENCODINGS = ("utf-16", "cp1252")
DATA_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet"}


@dataclass
class FilePlan:
    """What the bronze job will do with one landing file."""

    source: str
    batch_id: str
    path: Path
    sha256: str
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    header: tuple[str, ...] = ()
    raw_header: tuple[str, ...] = ()  # column names exactly as in the file
    layout: tuple[str, ...] = ()  # Parquet column types: files read in one Spark pass must share them
    read_path: Path | None = None  # UTF-8 copy for transcoded files
    rejected: str | None = None
    notes: list[str] = field(default_factory=list)
    bytes: int | None = None  # file size as delivered
    physical_lines: int | None = None  # CSV: newline-separated lines, header and blank lines included
    records: int | None = None  # data records: CSV by a quote-aware line scan, Parquet from its footer

    @property
    def accepted(self) -> bool:
        return self.rejected is None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_batches(source_dir: Path) -> dict[str, list[Path]]:
    """Return {batch_id: sorted data files} for one source directory (hidden files ignored).

    Subdirectories of a batch are listed too, so that plan_file rejects them with a reason instead of
    their files vanishing without a trace.
    """
    batches: dict[str, list[Path]] = {}
    if not source_dir.is_dir():
        return batches
    for batch_dir in sorted(p for p in source_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = sorted(
            p for p in batch_dir.iterdir() if (p.is_file() or p.is_dir()) and not p.name.startswith((".", "_"))
        )
        batches[batch_dir.name] = files
    return batches


def _normalise(name: str) -> str:
    return name.strip().strip('"').strip().lstrip("\ufeff").lower()


def _decode_error(path: Path, codec: str) -> UnicodeDecodeError | None:
    """Return the error decoding the whole file with ``codec`` raises, or None if it decodes cleanly."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _detect_encoding(path: Path) -> tuple[str | None, str | None]:
    """Return (a Python codec that decodes the whole file without error, utf-8 preferred; None) or
    (None, why no codec fits) for binary, compressed or truncated multi-byte files."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        err = _decode_error(path, "utf-16")
        if err is None:
            return "utf-16", None
        return None, f"file starts with a UTF-16 byte-order mark but is not valid UTF-16 (truncated?): {err}"
    if _decode_error(path, "utf-8") is None:
        return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), None
    err = _decode_error(path, "cp1252")
    if err is None:
        return "cp1252", None
    return None, f"not text in UTF-8, UTF-16 or cp1252 (binary or compressed file?): {err}"


def _header_and_delimiter(text: str, source: LandingSource) -> tuple[str | None, tuple[str, ...]]:
    """Pick the delimiter whose header split matches the most expected columns."""
    first = text.splitlines()[0] if text.splitlines() else ""
    best: tuple[int, str | None, tuple[str, ...]] = (-1, None, ())
    for delim in DELIMITERS:
        cols = tuple(_normalise(c) for c in next(csv.reader(io.StringIO(first), delimiter=delim), []))
        score = sum(1 for c in cols if c in source.columns)
        if score > best[0]:
            best = (score, delim, cols)
    return best[1], best[2]


@dataclass
class LineScan:
    """How a CSV file's physical lines group into records, by quote parity (RFC 4180 doubled quotes)."""

    physical_lines: int = 0
    blank_lines: int = 0
    records: int = 0  # data records, header excluded
    multiline_records: int = 0
    longest: tuple[int, int] = (0, 0)  # (first line, lines) of the record spanning the most lines
    swallowed: list[tuple[int, int, int]] = field(default_factory=list)  # (record's first line, last line, line)


def scan_lines(path: Path, encoding: str, delimiter: str, n_fields: int, quote: str = '"') -> LineScan:
    """Count physical lines and records of a CSV file and find quoted fields that swallow whole records.

    A line inside a quoted field that stays open across it and holds at least ``n_fields - 1`` delimiters has
    the shape of a record of its own: a quote that never closed folded it into the record above.
    """
    scan = LineScan()
    in_quote = False
    header_seen = False
    start = 0
    shaped: list[int] = []

    def close(last: int) -> None:
        span = last - start + 1
        if span > 1:
            scan.multiline_records += 1
        if span > scan.longest[1]:
            scan.longest = (start, span)
        scan.swallowed.extend((start, last, n) for n in shaped)

    with path.open("r", encoding=encoding, newline="\n") as fh:
        for number, raw in enumerate(fh, start=1):
            scan.physical_lines = number
            line = raw.rstrip("\n").rstrip("\r")
            if not in_quote:
                if line == "":
                    scan.blank_lines += 1
                    continue
                if header_seen:
                    scan.records += 1
                    start, shaped = number, []
                else:
                    header_seen = True
                    start, shaped = number, []
            elif line.count(quote) % 2 == 0 and line.count(delimiter) >= n_fields - 1:
                shaped.append(number)
            if line.count(quote) % 2 == 1:
                in_quote = not in_quote
            if not in_quote and header_seen and start:
                close(number)
                start = 0
    if start:
        close(scan.physical_lines)
    return scan


def _account_lines(plan: FilePlan, max_lines_per_record: int) -> None:
    """Record a CSV file's physical lines and records; reject it when a quote swallowed whole lines."""
    assert plan.encoding and plan.delimiter
    text_path = plan.read_path or plan.path
    encoding = "utf-8" if plan.read_path else plan.encoding
    scan = scan_lines(text_path, encoding, plan.delimiter, len(plan.header))
    plan.physical_lines, plan.records = scan.physical_lines, scan.records
    first, span = scan.longest
    if scan.swallowed:
        start, last, _ = scan.swallowed[0]
        lines = sorted({n for _, _, n in scan.swallowed})
        plan.rejected = (
            f"a quoted field opened on line {start} runs to line {last} and swallows {len(lines)} line(s) shaped "
            f"like records of their own (lines {lines[:10]}): an unclosed quote; {scan.physical_lines} physical "
            f"lines would have landed as {scan.records} records. Fix the quote and re-deliver the batch"
        )
    elif span > max_lines_per_record:
        plan.rejected = (
            f"the record starting on line {first} spans {span} physical lines (limit {max_lines_per_record}, "
            "quality.landing.max_lines_per_record): an unclosed quote? Fix the quote and re-deliver the batch"
        )


def plan_file(source: LandingSource, batch_id: str, path: Path, staging_dir: Path,
              max_lines_per_record: int = 20) -> FilePlan:
    """Inspect one file and decide accept/reject, encoding, delimiter, header and its line accounting."""
    if path.is_dir():
        inside = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        plan = FilePlan(
            source.name, batch_id, path, hashlib.sha256("\n".join(inside).encode()).hexdigest(), "directory"
        )
        plan.rejected = (
            f"subdirectory inside a batch is not read (holds {len(inside)} files: "
            f"{inside[:5]}); put data files directly in the batch directory"
        )
        return plan
    fmt = DATA_SUFFIXES.get(path.suffix.lower())
    plan = FilePlan(source.name, batch_id, path, sha256_of(path), fmt or "unknown", bytes=path.stat().st_size)
    if fmt is None:
        plan.rejected = f"unsupported file type {path.suffix!r} (expected .csv, .tsv, .txt or .parquet)"
        return plan
    if path.stat().st_size == 0:
        plan.rejected = "empty file (0 bytes): nothing to land"
        return plan
    if fmt == "parquet":
        return _plan_parquet(source, plan)
    encoding, undecodable = _detect_encoding(path)
    if encoding is None:
        plan.rejected = undecodable
        return plan
    plan.encoding = encoding
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        plan.rejected = "file holds only whitespace: no header row"
        return plan
    delim, header = _header_and_delimiter(sample, source)
    plan.delimiter, plan.header = delim, header
    missing = [c for c in source.required if c not in header]
    if missing:
        plan.rejected = (
            f"header lacks required columns {missing}; found {list(header)} (expected {list(source.columns)})"
        )
        return plan
    if len(set(header)) != len(header):
        plan.rejected = f"header repeats a column name: {list(header)}"
        return plan
    extra = [c for c in header if c not in source.columns]
    if extra:
        plan.notes.append(f"ignored unknown columns {extra}")
    if encoding not in ("utf-8", "utf-8-sig"):
        plan.notes.append(f"transcoded from {encoding} to utf-8")
        staged = staging_dir / source.name / batch_id / (path.name + ".utf8.csv")
        staged.parent.mkdir(parents=True, exist_ok=True)
        with (
            path.open("r", encoding=encoding, newline="") as src,
            staged.open("w", encoding="utf-8", newline="") as dst,
        ):
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
        plan.read_path = staged
    _account_lines(plan, max_lines_per_record)
    return plan


def _spark_unreadable(pf) -> list[str]:
    """Parquet leaf columns whose logical type Spark 3.5 cannot read (it fails the whole read on them)."""
    bad = []
    for i in range(len(pf.schema)):
        col = pf.schema.column(i)
        kind, spec = col.logical_type.type, col.logical_type.to_json()
        if kind in ("TIME", "FLOAT16") or (kind == "TIMESTAMP" and '"nanoseconds"' in spec):
            bad.append(f"{col.path} ({col.logical_type})")
    return bad


def _plan_parquet(source: LandingSource, plan: FilePlan) -> FilePlan:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(plan.path) as pf:
            schema = pf.schema_arrow
            num_rows = pf.metadata.num_rows
            unreadable = _spark_unreadable(pf)
            # Decode every page now: a corrupt page must reject this file, not fail the Spark job later.
            for _ in pf.iter_batches(batch_size=1 << 16, use_threads=False):
                pass
    except (pa.ArrowException, OSError) as exc:  # corrupt footers and pages (ArrowInvalid, thrift OSError, ...)
        plan.rejected = f"unreadable parquet file: {exc}"
        return plan
    names = schema.names
    header = tuple(_normalise(n) for n in names)
    plan.header, plan.raw_header = header, tuple(names)
    plan.layout = tuple(str(t) for t in schema.types)
    plan.records = num_rows
    missing = [c for c in source.required if c not in header]
    if missing:
        plan.rejected = f"parquet schema lacks required columns {missing}; found {list(header)}"
    elif unreadable:
        plan.rejected = (
            f"parquet columns of a type Spark cannot read: {unreadable} (write timestamps in ms/us, dates as date32)"
        )
    else:
        extra = [c for c in header if c not in source.columns]
        if extra:
            plan.notes.append(f"ignored unknown columns {extra}")
    return plan
