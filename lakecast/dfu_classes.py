"""ABC and XYZ classes of a DFU: the one rule, for the gold job, the forecasting core, chat and the briefing.

* ABC: rank DFUs by volume (descending, ties by id); a DFU is A while the cumulative share of the DFUs ranked
  before it is < 80%, B while < 95%, else C; zero volume is always C (80/15/5).
* XYZ: by the coefficient of variation of monthly units: X when cv < 0.5, Y when cv < 1.0, else Z; an undefined
  cv (mean 0) is Z. Strict ``<`` is the documented boundary (contracts/gold.py, docs/data-model.md):
  docs/decisions.md "One definition per business rule".

Python (scalar and numpy) and SQL (a CASE expression, valid in Spark SQL, Trino and DuckDB) are rendered from the
same bound tables below.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from contracts.base import literal_values

AbcClass = Literal["A", "B", "C"]
XyzClass = Literal["X", "Y", "Z"]
#: (class, exclusive upper bound of the cumulative volume share before the DFU); anything else is ABC_LAST
ABC_BOUNDS: tuple[tuple[str, float], ...] = (("A", 0.80), ("B", 0.95))
ABC_LAST = "C"
#: (class, exclusive upper bound of the coefficient of variation); anything else (or undefined) is XYZ_LAST
XYZ_BOUNDS: tuple[tuple[str, float], ...] = (("X", 0.5), ("Y", 1.0))
XYZ_LAST = "Z"
ABC_CLASSES = literal_values(AbcClass, (*(c for c, _ in ABC_BOUNDS), ABC_LAST), "ABC classes")
XYZ_CLASSES = literal_values(XyzClass, (*(c for c, _ in XYZ_BOUNDS), XYZ_LAST), "XYZ classes")


def abc_class(share_before: float, volume: float) -> str:
    """ABC class of one DFU from the cumulative volume share of the DFUs ranked before it and its own volume."""
    if not volume > 0:
        return ABC_LAST
    return next((c for c, bound in ABC_BOUNDS if share_before < bound), ABC_LAST)


def xyz_class(cv: float | None) -> str:
    """XYZ class of one coefficient of variation (None or NaN = undefined = Z)."""
    if cv is None or math.isnan(cv):
        return XYZ_LAST
    return next((c for c, bound in XYZ_BOUNDS if cv < bound), XYZ_LAST)


def abc_classes(volume: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """ABC class per DFU of a panel (volume per DFU, ties ranked by id), vectorised from ``ABC_BOUNDS``."""
    vol = np.nan_to_num(np.asarray(volume, dtype=float))
    order = np.lexsort((np.asarray(ids).astype(str), -vol))
    total = vol.sum()
    out = np.full(vol.size, ABC_LAST, dtype=object)
    if total <= 0:
        return out
    before = np.concatenate([[0.0], np.cumsum(vol[order])[:-1]]) / total
    ranked = np.select([before < bound for _, bound in ABC_BOUNDS], [c for c, _ in ABC_BOUNDS], ABC_LAST)
    out[order] = np.where(vol[order] > 0, ranked, ABC_LAST)
    return out


def xyz_classes(cv: np.ndarray) -> np.ndarray:
    """XYZ class per coefficient of variation (NaN = Z), vectorised from ``XYZ_BOUNDS``."""
    v = np.asarray(cv, dtype=float).ravel()
    ok = ~np.isnan(v)
    return np.select([ok & (v < bound) for _, bound in XYZ_BOUNDS], [c for c, _ in XYZ_BOUNDS],
                     XYZ_LAST).astype(object)


def abc_case_sql(share_before: str, volume: str) -> str:
    """SQL CASE of :func:`abc_class` over two column expressions."""
    whens = " ".join(f"WHEN {share_before} < {bound} THEN '{c}'" for c, bound in ABC_BOUNDS)
    return f"CASE WHEN {volume} IS NULL OR {volume} <= 0 THEN '{ABC_LAST}' {whens} ELSE '{ABC_LAST}' END"


def xyz_case_sql(cv: str) -> str:
    """SQL CASE of :func:`xyz_class` over a column expression (NULL = Z)."""
    whens = " ".join(f"WHEN {cv} < {bound} THEN '{c}'" for c, bound in XYZ_BOUNDS)
    return f"CASE WHEN {cv} IS NULL THEN '{XYZ_LAST}' {whens} ELSE '{XYZ_LAST}' END"
