"""Deliberately messy sales lines (and promotion-plan rows, see ``PROMO_PLAN_KINDS`` and
``promo_plan_rows``): the kinds, how many of each, and how they are injected.

Every messy row has exactly one defect, so the per-kind counts in the manifest add up to the number of
rows a strict pipeline must quarantine (or, for duplicates, drop). Definitions a checker can rely on:

- ``bad_date``: sale_date is non-empty but not a valid ISO ``YYYY-MM-DD`` date (CSV only), e.g.
  ``2024-13-45``, ``31/02/2024``, ``2024-02-30``, ``15.03.2024``, ``2024/03/15``, ``0000-00-00``.
- ``non_numeric_qty``: qty is non-empty and not a number (CSV only), e.g. ``12a``, ``N/A``, ``#VALUE!``.
- ``negative_qty``: qty is a number below zero.
- ``unknown_item`` / ``unknown_location`` / ``unknown_customer``: the id is non-empty and appears in no
  snapshot of its master (unknown ids look real: ``I9xxxxx``, ``L9xxx``, ``C9xxxx``).
- ``duplicate_line``: an exact copy of an earlier line of the same batch (same line_id), appended at
  the end of the batch as a re-sent tail; the copy is the messy row, the original is clean.
- ``missing_required``: one required field (line_id, sale_date, item_id, location_id or qty) is empty
  (CSV) or null (Parquet). An empty sale_date counts here, not as ``bad_date``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BAD_DATE = "bad_date"
NON_NUMERIC_QTY = "non_numeric_qty"
NEGATIVE_QTY = "negative_qty"
UNKNOWN_ITEM = "unknown_item"
UNKNOWN_LOCATION = "unknown_location"
UNKNOWN_CUSTOMER = "unknown_customer"
DUPLICATE_LINE = "duplicate_line"
MISSING_REQUIRED = "missing_required"

MESSY_KINDS: tuple[str, ...] = (
    BAD_DATE,
    NON_NUMERIC_QTY,
    NEGATIVE_QTY,
    UNKNOWN_ITEM,
    UNKNOWN_LOCATION,
    UNKNOWN_CUSTOMER,
    DUPLICATE_LINE,
    MISSING_REQUIRED,
)
# kinds a typed Parquet file can carry (a date32 column cannot hold "2024-13-45")
PARQUET_KINDS: tuple[str, ...] = tuple(k for k in MESSY_KINDS if k not in (BAD_DATE, NON_NUMERIC_QTY))
KIND_WEIGHTS = {
    BAD_DATE: 0.15,
    NON_NUMERIC_QTY: 0.12,
    NEGATIVE_QTY: 0.18,
    UNKNOWN_ITEM: 0.12,
    UNKNOWN_LOCATION: 0.08,
    UNKNOWN_CUSTOMER: 0.08,
    DUPLICATE_LINE: 0.15,
    MISSING_REQUIRED: 0.12,
}
REQUIRED_FIELDS = ("line_id", "sale_date", "item_id", "location_id", "qty")

# promo_plan rows: appended copies of clean plan rows carrying one defect each (the clean plan stays whole)
PROMO_BEFORE_PUBLISH = "promo_before_publish"
NEGATIVE_DISCOUNT = "negative_discount"
DISCOUNT_OVER_100 = "discount_over_100"
NON_NUMERIC_DISCOUNT = "non_numeric_discount"
DUPLICATE_ROW = "duplicate_row"
PROMO_PLAN_KINDS: tuple[str, ...] = (
    BAD_DATE,
    NON_NUMERIC_DISCOUNT,
    NEGATIVE_DISCOUNT,
    DISCOUNT_OVER_100,
    PROMO_BEFORE_PUBLISH,
    UNKNOWN_ITEM,
    DUPLICATE_ROW,
)
NON_NUMERIC_VALUES = np.array(["12a", "N/A", "n/a", "abc", "#VALUE!", "1.2.3", "--", "seven"])


def allocate(n_rows: int, messy_fraction: float, kinds: tuple[str, ...], rng: np.random.Generator) -> dict:
    """How many rows of each kind to corrupt in a batch of ``n_rows`` clean lines."""
    n_messy = min(int(round(messy_fraction * n_rows)), n_rows)
    w = np.array([KIND_WEIGHTS[k] for k in kinds])
    counts = rng.multinomial(n_messy, w / w.sum()) if n_messy else np.zeros(len(kinds), dtype=int)
    out = dict.fromkeys(MESSY_KINDS, 0)
    out.update({k: int(c) for k, c in zip(kinds, counts, strict=True)})
    return out


def _bad_dates(day: np.ndarray, month: int, year: int, rng: np.random.Generator) -> np.ndarray:
    d = np.char.zfill(day.astype(str), 2)
    y, m = str(year), f"{month:02d}"
    choices = np.stack(
        [
            np.full(len(day), f"{y}-13-45"),
            np.full(len(day), f"31/02/{y}"),
            np.full(len(day), f"{y}-02-30"),
            np.char.add(np.char.add(d, f".{m}."), y),
            np.char.add(f"{y}/{m}/", d),
            np.full(len(day), "0000-00-00"),
        ]
    )
    return choices[rng.integers(0, len(choices), size=len(day)), np.arange(len(day))]


def _set(col: pa.Array, rows: np.ndarray, values: pa.Array | list) -> pa.Array:
    """Replace col[rows] with values (rows need not be sorted; values follow rows' order)."""
    if len(rows) == 0:
        return col
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(len(col), dtype=bool)
    mask[rows] = True
    vals = pa.array(values, type=col.type) if not isinstance(values, pa.Array) else values.cast(col.type)
    return pc.replace_with_mask(col, pa.array(mask), vals.take(pa.array(order)))


def inject(
    table: pa.Table,
    counts: dict,
    *,
    csv: bool,
    day: np.ndarray,
    month: int,
    year: int,
    has_customer: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    """Return the batch with ``counts`` messy rows: corrupt distinct clean rows in place, append duplicates.

    ``table`` holds the clean batch: all-string columns for CSV, native types for Parquet.
    """
    n = table.num_rows
    cols = {name: table.column(name).combine_chunks() for name in table.column_names}
    perm = rng.permutation(n)
    # unknown customers go on lines that carry a customer (DC lines) when there are enough of them
    k_uc = counts[UNKNOWN_CUSTOMER]
    with_cust = perm[has_customer[perm]]
    uc_rows = with_cust[:k_uc] if len(with_cust) >= k_uc else perm[:k_uc]
    rest = perm[~np.isin(perm, uc_rows)]
    pos = 0
    picked: dict[str, np.ndarray] = {UNKNOWN_CUSTOMER: uc_rows}
    for kind in MESSY_KINDS:
        if kind == UNKNOWN_CUSTOMER:
            continue
        picked[kind] = rest[pos : pos + counts[kind]]
        pos += counts[kind]

    rows = picked[BAD_DATE]
    if len(rows):
        cols["sale_date"] = _set(cols["sale_date"], rows, _bad_dates(day[rows], month, year, rng))
    rows = picked[NON_NUMERIC_QTY]
    if len(rows):
        cols["qty"] = _set(
            cols["qty"], rows, NON_NUMERIC_VALUES[rng.integers(0, len(NON_NUMERIC_VALUES), len(rows))]
        )
    rows = picked[NEGATIVE_QTY]
    if len(rows):
        q = cols["qty"].take(pa.array(rows))
        neg = pc.binary_join_element_wise("-", q, "") if csv else pc.negate(q)
        cols["qty"] = _set(cols["qty"], rows, neg)
    for kind, col, fmt in (
        (UNKNOWN_ITEM, "item_id", "I9{:05d}"),
        (UNKNOWN_LOCATION, "location_id", "L9{:03d}"),
        (UNKNOWN_CUSTOMER, "customer_id", "C9{:04d}"),
    ):
        rows = picked[kind]
        if len(rows):
            width = 10 ** (len(fmt.format(0)) - 2)
            cols[col] = _set(cols[col], rows, [fmt.format(int(v)) for v in rng.integers(0, width, len(rows))])
    rows = picked[MISSING_REQUIRED]
    if len(rows):
        which = rng.integers(0, len(REQUIRED_FIELDS), size=len(rows))
        for f, field in enumerate(REQUIRED_FIELDS):
            sel = rows[which == f]
            if len(sel):
                blank = [""] * len(sel) if csv else pa.nulls(len(sel), cols[field].type)
                cols[field] = _set(cols[field], sel, blank)

    out = pa.table([cols[c] for c in table.column_names], names=table.column_names)
    dup = np.sort(picked[DUPLICATE_LINE])
    if len(dup):
        out = pa.concat_tables([out, out.take(pa.array(dup))]).combine_chunks()
    return out


def allocate_at_least_one(
    n_rows: int, messy_fraction: float, kinds: tuple[str, ...], rng: np.random.Generator
) -> dict:
    """Messy rows per kind for a small source: ``round(fraction * n_rows)``, but every kind at least once.

    A whole-source allocation (not per batch): the promotion plan of the tiny scale has a few dozen rows,
    where a per-batch ``round(0.02 * rows)`` would inject nothing.
    """
    if messy_fraction <= 0 or n_rows == 0:
        return dict.fromkeys(kinds, 0)
    extra = max(int(round(messy_fraction * n_rows)) - len(kinds), 0)
    counts = 1 + rng.multinomial(extra, np.full(len(kinds), 1.0 / len(kinds)))
    return {k: int(c) for k, c in zip(kinds, counts, strict=True)}


def promo_plan_rows(
    clean: pa.Table, counts: dict, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Messy promo_plan rows: (rows, kind of each, index of the clean row each one copies), shuffled.

    Each is a copy of a random clean row with one defect: ``bad_date`` (published_at not ISO),
    ``non_numeric_discount``, ``negative_discount``, ``discount_over_100`` (a typo: x10, or +100 for
    small values), ``promo_before_publish`` (promo_month 1-3 months before the month of published_at),
    ``unknown_item`` (``I9xxxxx``) or ``duplicate_row`` (an exact copy).
    """
    kinds = np.array([k for k in PROMO_PLAN_KINDS for _ in range(counts.get(k, 0))], dtype=object)
    n = len(kinds)
    src = rng.integers(0, clean.num_rows, size=n) if n else np.zeros(0, dtype=np.int64)
    cols = {c: np.array(clean.column(c).take(pa.array(src, type=pa.int64())).to_pylist(), dtype=object)
            for c in clean.column_names}
    pub = cols["published_at"]
    for j in np.flatnonzero(kinds == BAD_DATE):
        y, m, d = (int(x) for x in pub[j].split("-"))
        pub[j] = _bad_dates(np.array([d]), m, y, rng)[0]
    disc = cols["discount_pct"]
    for j in np.flatnonzero(kinds == NON_NUMERIC_DISCOUNT):
        disc[j] = str(NON_NUMERIC_VALUES[rng.integers(len(NON_NUMERIC_VALUES))])
    for j in np.flatnonzero(kinds == NEGATIVE_DISCOUNT):
        disc[j] = "-" + disc[j]
    for j in np.flatnonzero(kinds == DISCOUNT_OVER_100):
        d = int(disc[j])
        disc[j] = str(d * 10 if d * 10 > 100 else d + 100)
    for j in np.flatnonzero(kinds == PROMO_BEFORE_PUBLISH):
        y, m = int(pub[j][:4]), int(pub[j][5:7])
        a = y * 12 + m - 1 - int(rng.integers(1, 4))
        cols["promo_month"][j] = f"{a // 12:04d}-{a % 12 + 1:02d}"
    for j in np.flatnonzero(kinds == UNKNOWN_ITEM):
        cols["item_id"][j] = f"I9{int(rng.integers(0, 100_000)):05d}"
    order = rng.permutation(n)
    table = pa.table({c: pa.array(v[order].tolist(), pa.string()) for c, v in cols.items()})
    return table, kinds[order].astype(str), src[order]
