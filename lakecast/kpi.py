"""Forecast KPIs pooled over rows (WAPE, Accuracy%, bias, MAPE, FVA): the one definition, in Python and as SQL.

Every KPI is a ratio of sums over the rows of a slice, never an average of per-DFU scores:

* ``wape = sum|F-A| / sum|A|`` (a fraction); undefined (None / NULL) when ``sum|A| == 0``;
* ``accuracy_pct = 100 (1 - wape)`` floored at 0; undefined when WAPE is;
* ``bias = sum F / sum A - 1`` (positive = over-forecast); undefined when ``sum A == 0``;
* ``mape = mean of 100 |F-A| / |A|`` over the rows with ``A != 0``; undefined when there is none;
* ``fva = accuracy_pct(model) - accuracy_pct(reference)`` on the rows both have, in accuracy points.

The Python functions take the sums (what a SQL query or a pandas groupby returns); the ``*_sql`` functions render
the same formula as an aggregate expression (Trino dialect, also valid in DuckDB and Spark SQL) over column
expressions, for the API's analytics services and the chat's semantic layer. tests/test_kpi.py proves the two
agree with each other, with :mod:`lakecast.forecast.metrics` (arrays in) and with hand-computed numbers, zeros and
negative actuals included. Pure Python: no numpy, no pandas, importable from anywhere.
"""

from __future__ import annotations


def wape(abs_error: float, abs_actual: float) -> float | None:
    """``sum|F-A| / sum|A|`` from the two sums; None when ``sum|A| == 0``."""
    return None if abs_actual == 0 else abs_error / abs_actual


def accuracy_pct(wape_value: float | None) -> float | None:
    """``100 (1 - WAPE)`` floored at 0; None when WAPE is undefined."""
    return None if wape_value is None else max(0.0, 100.0 * (1.0 - wape_value))


def bias(forecast: float, actual: float) -> float | None:
    """``sum F / sum A - 1`` from the two sums; None when ``sum A == 0``."""
    return None if actual == 0 else forecast / actual - 1.0


def mape(ape_sum: float, ape_rows: int) -> float | None:
    """``100 x mean(|F-A| / |A|)`` from the sum of ``|F-A|/|A|`` over the rows with ``A != 0`` and their count."""
    return None if ape_rows == 0 else 100.0 * ape_sum / ape_rows


def fva(model_accuracy: float | None, reference_accuracy: float | None) -> float | None:
    """Forecast value added in accuracy points: the model's Accuracy% minus the reference's, on shared rows."""
    if model_accuracy is None or reference_accuracy is None:
        return None
    return model_accuracy - reference_accuracy


# ---------------------------------------------------------------------------------------------- SQL
# Arguments are column expressions (e.g. "a.abs_error"); only identifiers of the callers' whitelists go in.

#: The additive sums every KPI above is a ratio of (a pre-aggregate keeps these; summing them again is exact).
SUMS = ("actual_qty", "forecast_qty", "abs_error", "abs_actual", "ape_sum", "ape_rows")


def sums_sql(abs_error: str, actual: str, forecast: str) -> dict[str, str]:
    """Aggregate SQL of each of :data:`SUMS` over rows: ``sum A``, ``sum F``, ``sum |F-A|``, ``sum |A|`` and the
    MAPE parts (``sum |F-A|/|A|`` and the count over the rows with ``A != 0``)."""
    return {
        "actual_qty": f"SUM({actual})",
        "forecast_qty": f"SUM({forecast})",
        "abs_error": f"SUM({abs_error})",
        "abs_actual": f"SUM(ABS({actual}))",
        "ape_sum": f"SUM(CASE WHEN {actual} <> 0 THEN {abs_error} / ABS({actual}) END)",
        "ape_rows": f"COUNT(CASE WHEN {actual} <> 0 THEN 1 END)",
    }

def wape_sql(abs_error: str, actual: str) -> str:
    """Aggregate SQL of :func:`wape`: NULL when ``sum|A| = 0``."""
    return f"(SUM({abs_error}) / NULLIF(SUM(ABS({actual})), 0))"


def accuracy_pct_sql(abs_error: str, actual: str) -> str:
    """Aggregate SQL of :func:`accuracy_pct` (a CASE rather than GREATEST: DuckDB's GREATEST skips NULLs)."""
    w = wape_sql(abs_error, actual)
    return f"(CASE WHEN {w} IS NULL THEN NULL WHEN {w} > 1 THEN 0.0 ELSE 100.0 * (1.0 - {w}) END)"


def bias_sql(forecast: str, actual: str) -> str:
    """Aggregate SQL of :func:`bias`: NULL when ``sum A = 0``."""
    return f"(SUM({forecast}) / NULLIF(SUM({actual}), 0) - 1.0)"


def mape_sql(abs_error: str, actual: str) -> str:
    """Aggregate SQL of :func:`mape` (AVG skips the NULLs of the rows with ``A = 0``)."""
    return f"(100.0 * AVG(CASE WHEN {actual} <> 0 THEN {abs_error} / ABS({actual}) END))"


def fva_sql(model_abs_error: str, reference_abs_error: str, actual: str) -> str:
    """Aggregate SQL of :func:`fva` over joined rows: the caller keeps only the rows both models have."""
    return f"({accuracy_pct_sql(model_abs_error, actual)} - {accuracy_pct_sql(reference_abs_error, actual)})"
