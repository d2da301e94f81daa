"""Every word is used or reported, and names resolve to the served dimension values: invented products get a
clarification (no number), countries and store/DC filter the SQL for real, typos resolve, harmless words are
listed. Real DuckDB over the session pipeline's Iceberg tables; expected values from independent SQL."""

from __future__ import annotations

from typing import Any

import pytest

from lakecast.chat.service import ChatService

pytestmark = [pytest.mark.spark, pytest.mark.integration]  # the default per-test timeout (pyproject) applies

#: the tiny pipeline's last month of actuals (docs/chat.md: relative time is anchored there)
LAST_MONTH = "2026-10-01"


def _ask(service: ChatService, question: str, **kw: Any) -> Any:
    return service.ask(question, username="coverage", **kw)


def _one(engine: Any, sql: str) -> float:
    rows = engine.query(sql)
    assert len(rows) == 1
    return float(next(iter(rows[0].values())))


@pytest.mark.parametrize("question", [
    "sales of Zorblax Cola in 2025",
    "how many units of Quintessa Fizz did we sell last year?",
    "revenue for the brand Frobnitz in 2025",
])
def test_invented_product_gets_a_clarification_not_a_number(chat_service: ChatService, question: str) -> None:
    reply = _ask(chat_service, question)
    assert reply.mode == "clarify" and reply.sql is None and reply.rows == []
    assert reply.clarification is not None
    term = reply.clarification.term
    assert term and term.lower() in question.lower()
    assert term in reply.answer and reply.columns == []
    assert not any(m in reply.answer for m in ("actual units", "revenue ", "units sold"))  # no figure given


def test_clarification_choices_reask_with_the_match(chat_service: ChatService, engine: Any) -> None:
    """"Munich" is only in customer names on the tiny data: the chat asks; each choice re-asks with the id."""
    munich = engine.query("SELECT customer_id FROM gold.dim_customer WHERE is_current AND customer_name LIKE "
                          "'%Munich%' ORDER BY 1")
    assert munich, "the tiny data has customers in Munich"
    located = engine.query("SELECT location_id FROM gold.dim_location WHERE is_current AND location_name LIKE "
                           "'%Munich%'")
    assert not located
    reply = _ask(chat_service, "units sold in Munich in 2025")
    assert reply.mode == "clarify" and reply.sql is None and reply.clarification is not None
    assert [c.value for c in reply.clarification.choices] == [r["customer_id"] for r in munich][:5]
    choice = reply.clarification.choices[0]
    assert choice.dim == "customer" and choice.question == f"units sold in customer {choice.value} in 2025"
    again = _ask(chat_service, choice.question)
    expected = _one(engine, "SELECT SUM(qty) FROM gold.agg_loc_customer_week WHERE customer_id = "
                            f"'{choice.value}' AND year(week_start) = 2025")
    assert again.mode == "rules" and again.rows == [[pytest.approx(expected)]]


def test_sales_in_germany_last_month_filters_on_the_country(chat_service: ChatService, engine: Any) -> None:
    reply = _ask(chat_service, "sales in Germany last month")
    expected = _one(engine, "SELECT SUM(s.qty) FROM gold.fact_sales_monthly s JOIN gold.dim_location l "
                            "ON l.location_id = s.location_id AND l.is_current "
                            f"WHERE l.country = 'DE' AND s.month_start = DATE '{LAST_MONTH}'")
    everywhere = _one(engine, f"SELECT SUM(qty) FROM gold.fact_sales_monthly WHERE month_start = DATE '{LAST_MONTH}'")
    assert expected != everywhere  # the filter changes the number on this data
    assert reply.mode == "rules" and reply.rows == [[pytest.approx(expected)]]
    assert reply.sql is not None and "l.country = 'DE'" in reply.sql
    assert {(u.text, u.role, u.meaning) for u in reply.used} >= {("germany", "filter", "country DE"),
                                                                ("last month", "time", "last month (2026-10)")}
    assert reply.ignored == [] and reply.clarification is None


def test_a_country_without_locations_is_said_not_answered(chat_service: ChatService) -> None:
    reply = _ask(chat_service, "sales in Spain in 2025")
    assert reply.mode == "clarify" and reply.sql is None and "no locations in Spain" in reply.answer


@pytest.mark.parametrize(("question", "kind"), [
    ("stores only: units sold in 2025", "STORE"),
    ("units sold at DCs in 2025", "DC"),
    ("distribution centre sales in 2025", "DC"),
])
def test_store_vs_dc_filters(chat_service: ChatService, engine: Any, question: str, kind: str) -> None:
    reply = _ask(chat_service, question)
    expected = _one(engine, "SELECT SUM(s.qty) FROM gold.fact_sales_monthly s JOIN gold.dim_location l "
                            "ON l.location_id = s.location_id AND l.is_current "
                            f"WHERE l.location_type = '{kind}' AND year(s.month_start) = 2025")
    total = _one(engine, "SELECT SUM(qty) FROM gold.fact_sales_monthly WHERE year(month_start) = 2025")
    assert 0 < expected < total
    assert reply.mode == "rules" and reply.rows == [[pytest.approx(expected)]], reply.answer


def test_stores_and_dcs_add_up_and_group(chat_service: ChatService, engine: Any) -> None:
    stores = _ask(chat_service, "top 3 stores by revenue in 2025")
    expected = engine.query("SELECT s.location_id, SUM(s.revenue) AS r FROM gold.fact_sales_monthly s "
                            "JOIN gold.dim_location l ON l.location_id = s.location_id AND l.is_current "
                            "WHERE l.location_type = 'STORE' AND year(s.month_start) = 2025 "
                            "GROUP BY 1 ORDER BY r DESC LIMIT 3")
    assert stores.rows == [[e["location_id"], pytest.approx(e["r"])] for e in expected]
    by_type = _ask(chat_service, "units sold by store type in 2025")
    types = {r[0]: r[1] for r in by_type.rows}
    assert set(types) == {"STORE", "DC"}
    total = _one(engine, "SELECT SUM(qty) FROM gold.fact_sales_monthly WHERE year(month_start) = 2025")
    assert sum(types.values()) == pytest.approx(total)


@pytest.mark.parametrize(("question", "word", "fixed"), [
    ("units sold of Aurora Colla in 2025", "colla", "cola"),
    ("revenue of Bravo Basics Premum Cone in 2025", "premum", "premium"),
])
def test_typo_in_an_item_name_resolves_to_the_item(chat_service: ChatService, engine: Any, question: str,
                                                   word: str, fixed: str) -> None:
    reply = _ask(chat_service, question)
    items = engine.query("SELECT item_id FROM gold.dim_item WHERE is_current AND lower(item_name) LIKE "
                         f"'%{fixed}%' AND brand = '{'Aurora' if 'Aurora' in question else 'Bravo Basics'}'")
    assert len(items) == 1
    item = items[0]["item_id"]
    column = "qty" if "units" in question else "revenue"
    expected = _one(engine, f"SELECT SUM({column}) FROM gold.fact_sales_monthly WHERE item_id = '{item}' "
                            "AND year(month_start) = 2025")
    assert reply.mode == "rules" and reply.rows == [[pytest.approx(expected)]]
    assert f"read '{word}' as '{fixed}'" in " ".join(reply.notes)
    assert any(u.role == "entity" and item in u.meaning for u in reply.used)


def test_harmless_words_are_listed_as_ignored(chat_service: ChatService, engine: Any) -> None:
    reply = _ask(chat_service, "Please show me the total units sold by region in 2025, thanks")
    assert reply.mode == "rules" and reply.clarification is None
    assert reply.ignored == ["please show me", "total", "thanks"]
    assert "Ignored: 'please show me', 'total', 'thanks'." in reply.answer
    expected = engine.query("SELECT d.region, SUM(s.qty) AS q FROM gold.fact_sales_monthly s JOIN gold.dim_dfu d "
                            "ON d.dfu_id = s.dfu_id WHERE year(s.month_start) = 2025 GROUP BY 1 ORDER BY 1")
    assert reply.rows == [[e["region"], pytest.approx(e["q"])] for e in expected]
    assert {u.role for u in reply.used} == {"time", "measure", "grouping"}


def test_an_unknown_word_that_is_not_name_like_is_answered_and_reported(chat_service: ChatService,
                                                                        engine: Any) -> None:
    reply = _ask(chat_service, "How big were the forecast errors of theta at each lag?")
    assert reply.mode == "rules" and reply.ignored == ["big"] and "Ignored: 'big'." in reply.answer
    expected = engine.query("SELECT lag, 100 * SUM(abs_error) / SUM(ABS(actual_qty)) AS w "
                            "FROM gold.fact_forecast_accuracy WHERE model_id = 'theta' AND scenario_id = 'backtest' "
                            "GROUP BY 1 ORDER BY 1")
    assert reply.rows == [[e["lag"], pytest.approx(e["w"])] for e in expected]
    lower = _ask(chat_service, "sales of zorblax in 2025")  # lower case, but after "of": a name, asked about
    assert lower.mode == "clarify" and lower.clarification is not None and lower.clarification.term == "zorblax"


@pytest.mark.parametrize(("question", "term"), [
    ("revenue 2026 vs 2025", "2025"),  # a second period: not silently dropped
    ("units sold excluding Beverages in 2025", "excluding"),  # a negation the rules cannot apply
    ("margin by brand in 2025", "margin"),  # a measure the semantic layer does not have
    ("average units per month by brand in 2025", "average"),  # an average of what over what: not guessed
])
def test_words_that_would_change_the_answer_are_asked_about(chat_service: ChatService, question: str,
                                                             term: str) -> None:
    reply = _ask(chat_service, question)
    assert reply.mode == "clarify" and reply.sql is None and reply.clarification is not None
    assert reply.clarification.term == term


def test_every_answered_eval_question_accounts_for_its_words(chat_service: ChatService) -> None:
    """On answered questions nothing is left unaccounted: no clarification, and ignored words are shown."""
    from pathlib import Path

    from lakecast.chat.evaluation import load_cases

    for case in load_cases(Path(__file__).with_name("eval_questions.yaml")):
        if case.after:
            continue
        reply = _ask(chat_service, case.question)
        assert reply.clarification is None, (case.question, reply.answer)
        for word in reply.ignored:
            assert f"'{word}'" in reply.answer


def test_vocabulary_is_rebuilt_when_a_dimension_snapshot_changes(chat_service: ChatService) -> None:
    vocab, index = chat_service.vocabulary_and_index()
    again, index2 = chat_service.vocabulary_and_index()
    assert again is vocab and index2 is index  # same snapshots: cached
    chat_service._vocab_key = (-1,)  # as if gold.dim_item had a new snapshot
    fresh, fresh_index = chat_service.vocabulary_and_index()
    assert fresh is not vocab and fresh_index is not index
    assert fresh.values["country"] == vocab.values["country"]
