"""Deterministic file writers: byte-identical output for identical input (no timestamps, fixed order)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PARQUET_OPTIONS = dict(
    compression="snappy", use_dictionary=True, write_statistics=True, version="2.6", data_page_version="1.0"
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + ".tmp")


def cents_to_str(cents: np.ndarray) -> pa.Array:
    """Integer cents -> "12.34" strings, vectorised (no float formatting surprises)."""
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def write_csv_strings(table: pa.Table, path: Path) -> str:
    """Write an all-string table as CSV (header row, ``\\n`` line ends) fast; returns the file's sha256.

    Values must not need quoting (no comma, quote or newline): sales lines never do. Nulls become "".
    """
    for name in table.column_names:
        for ch in (",", '"', "\n"):
            if pc.any(pc.fill_null(pc.match_substring(table.column(name), ch), False)).as_py():
                raise ValueError(f"column {name} holds {ch!r}: use write_csv_rows for values needing quotes")
    cols = [pc.fill_null(table.column(c), "").combine_chunks() for c in table.column_names]
    tmp = _atomic_target(path)
    with tmp.open("wb") as f:
        f.write((",".join(table.column_names) + "\n").encode())
        step = 500_000
        for lo in range(0, table.num_rows, step):
            part = [c.slice(lo, step) for c in cols]
            joined = pc.binary_join_element_wise(*part, ",")
            joined = pc.binary_join_element_wise(joined, "", "\n").cast(pa.large_string())
            offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
                joined.offset : joined.offset + len(joined) + 1
            ]
            data = joined.buffers()[2]
            f.write(memoryview(data)[offsets[0] : offsets[-1]])
    os.replace(tmp, path)
    return _sha256(path)


def write_csv_rows(header: Sequence[str], rows: Iterable[Sequence[object]], path: Path) -> tuple[int, str]:
    """Write rows with RFC 4180 minimal quoting (fields with comma, quote or newline are quoted)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    n = 0
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
        n += 1
    tmp = _atomic_target(path)
    tmp.write_bytes(buf.getvalue().encode("utf-8"))
    os.replace(tmp, path)
    return n, _sha256(path)


def write_parquet(table: pa.Table, path: Path, row_group_size: int = 1_000_000) -> str:
    tmp = _atomic_target(path)
    pq.write_table(table, tmp, row_group_size=row_group_size, **PARQUET_OPTIONS)
    os.replace(tmp, path)
    return _sha256(path)


class ParquetStream:
    """Write a Parquet file one row group at a time (bounded memory), atomically on close."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.tmp = _atomic_target(path)
        self.writer = pq.ParquetWriter(self.tmp, schema, **PARQUET_OPTIONS)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self.rows += table.num_rows

    def close(self) -> str:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return _sha256(self.path)
