"""How chat answers print values: labels (years, lags, ids) as they are, quantities with separators."""

from __future__ import annotations

import datetime as dt

import pytest

from lakecast.chat.answer import fmt, summarize


@pytest.mark.parametrize(("value", "column", "text"), [
    (2025, "year", "2025"), (2025.0, "year", "2025"), (2024, "sales_year", "2024"), (3, "lag", "3"),
    (12, "month", "12"), (100234, "item_id", "100234"), (2026, "year_of_sale", "2026"),
    (12345, "units", "12,345"), (1234.5678, "revenue", "1,234.57"), (0.5, "units", "0.50"),
    (None, "year", "n/a"), (dt.date(2025, 3, 1), "month", "2025-03"),
])
def test_labels_are_not_formatted_as_quantities(value, column, text):
    assert fmt(value, column) == text


def test_a_ranking_by_year_names_the_year_plainly():
    text = summarize(["year", "units"], [(2024, 1500.0), (2025, 2100.0)], dims=["year"], metrics=["units"],
                     context="gold.fact_sales_monthly", ordered=False, top_n=None, truncated=False)
    assert "2025" in text and "2,025" not in text and "2,100" in text
