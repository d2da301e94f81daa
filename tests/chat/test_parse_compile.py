"""Time expressions, the rule parser and the SQL compiler on a hand-made vocabulary (no engine, fast)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

from lakecast.chat.compiler import CompileError, Compiler
from lakecast.chat.guard import guard_sql
from lakecast.chat.intent import Intent
from lakecast.chat.parser import Hint, Parser
from lakecast.chat.semantic import served_tables
from lakecast.chat.timeexpr import find_time
from lakecast.chat.vocab import Vocabulary, normalize

ANCHOR = dt.date(2026, 10, 1)
D = dt.date


def vocab() -> Vocabulary:
    v = Vocabulary(anchor=ANCHOR, champion_months=(D(2026, 5, 1), D(2026, 10, 1)))
    for item, name in (("I000001", "Aurora Cola 1.5L"), ("I000002", "Bravo Cone 4-pack")):
        v.add("item", item, name)
    v.add("location", "L0001", "DC Hamburg 1")
    v.add("category", "Beverages")
    v.add("category", "Ice Cream")
    v.add("brand", "Aurora")
    v.add("region", "DE-North")
    v.add("region", "FR-North")
    v.add("supplier", "Nordic Foods, Inc.")
    v.add("segment", "HoReCa")
    v.add("abc_class", "A", "class A", "A items", value_is_phrase=False)
    v.add_models(["theta", "lgbm_global", "seasonal_naive", "external", "champion", "combo_mean"])
    return v


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(vocab())


@pytest.mark.parametrize(("text", "start", "end"), [
    ("last 6 months", D(2026, 5, 1), D(2026, 10, 1)),
    ("the past twelve months", D(2025, 11, 1), D(2026, 10, 1)),
    ("q4 2025", D(2025, 10, 1), D(2025, 12, 1)),
    ("2025 q1", D(2025, 1, 1), D(2025, 3, 1)),
    ("q4", D(2026, 10, 1), D(2026, 12, 1)),  # the latest Q4 that started by the anchor (Oct 2026)
    ("q3", D(2026, 7, 1), D(2026, 9, 1)),
    ("ytd", D(2026, 1, 1), D(2026, 10, 1)),
    ("year to date", D(2026, 1, 1), D(2026, 10, 1)),
    ("last year", D(2025, 1, 1), D(2025, 12, 1)),
    ("in 2024", D(2024, 1, 1), D(2024, 12, 1)),
    ("between jan 2024 and mar 2024", D(2024, 1, 1), D(2024, 3, 1)),
    ("from 2024-01 to 2024-06", D(2024, 1, 1), D(2024, 6, 1)),
    ("between march and june 2025", D(2025, 3, 1), D(2025, 6, 1)),
    ("between 2023 and 2024", D(2023, 1, 1), D(2024, 12, 1)),
    ("jun 2026 to aug 2026", D(2026, 6, 1), D(2026, 8, 1)),
    ("since march 2026", D(2026, 3, 1), D(2026, 10, 1)),
    ("last quarter", D(2026, 7, 1), D(2026, 9, 1)),  # anchor Oct: Q4 incomplete -> Q3
    ("this quarter", D(2026, 10, 1), D(2026, 10, 1)),
    ("next 3 months", D(2026, 11, 1), D(2027, 1, 1)),
    ("next quarter", D(2027, 1, 1), D(2027, 3, 1)),
    ("last month", D(2026, 10, 1), D(2026, 10, 1)),
    ("in march 2025", D(2025, 3, 1), D(2025, 3, 1)),
    ("2025-03", D(2025, 3, 1), D(2025, 3, 1)),
    ("in may", D(2026, 5, 1), D(2026, 5, 1)),
    ("in december", D(2025, 12, 1), D(2025, 12, 1)),  # December 2026 is after the anchor
    ("h1 2026", D(2026, 1, 1), D(2026, 6, 1)),
])
def test_time_expressions(text: str, start: dt.date, end: dt.date) -> None:
    rng, span = find_time(text, ANCHOR)
    assert rng is not None and span is not None
    assert (rng.start, rng.end) == (start, end)


def test_time_none_and_errors() -> None:
    assert find_time("accuracy by region", ANCHOR) == (None, None)
    with pytest.raises(ValueError):
        find_time("sales in 2025-13", ANCHOR)
    with pytest.raises(ValueError):
        find_time("between 2025 and 2024", ANCHOR)


def test_normalize_folds_case_accents_and_separators() -> None:
    assert normalize("DE-North") == "de north"
    assert normalize("Iberia Distribución S.L.") == "iberia distribucion sl"
    assert normalize("lgbm_global") == "lgbm global"
    assert normalize("I000001|L0001") == "i000001|l0001"


def test_parse_metric_dimension_time(parser: Parser) -> None:
    r = parser.parse("accuracy by region last 6 months")
    assert r.intent.metrics == ["accuracy_pct"] and r.intent.group_by == ["region"]
    assert (r.intent.time.start, r.intent.time.end) == (D(2026, 5, 1), D(2026, 10, 1))  # type: ignore[union-attr]


def test_parse_top_n_values_and_models(parser: Parser) -> None:
    r = parser.parse("top 5 items by units sold in DE-North for Beverages")
    i = r.intent
    assert (i.order, i.top_n, i.group_by) == ("top", 5, ["item"])
    assert i.filters == {"region": ["DE-North"], "category": ["Beverages"]}
    r = parser.parse("which item sold the most")  # singular "which" -> top 1
    assert (r.intent.order, r.intent.top_n) == ("top", 1)
    r = parser.parse("theta vs lgbm_global accuracy by month")
    assert r.intent.models == ["theta", "lgbm_global"] and r.intent.group_by == ["month", "model"]
    r = parser.parse("wape of the legacy forecast at lag 1 and 2")
    assert r.intent.models == ["external"] and r.intent.lags == [1, 2] and r.intent.metrics == ["wape_pct"]


def test_parse_supplier_without_legal_suffix_and_named_value(parser: Parser) -> None:
    r = parser.parse("sales of supplier nordic foods in the Beverages category")
    assert r.intent.filters == {"supplier": ["Nordic Foods, Inc."], "category": ["Beverages"]}
    assert r.intent.group_by == []  # "supplier <value>" and "<value> category" name values, they do not group


def test_misspellings_are_corrected_and_reported(parser: Parser) -> None:
    r = parser.parse("accuarcy by regoin")
    assert r.corrections == {"accuarcy": "accuracy", "regoin": "region"}
    assert r.intent.metrics == ["accuracy_pct"] and r.intent.group_by == ["region"]


def test_unknown_id_stops_with_did_you_mean(parser: Parser) -> None:
    r = parser.parse("sales of I000003")
    assert r.problem is not None and "I000001" in r.did_you_mean and "did you mean" in r.problem.lower()


def test_unknown_words_without_signal_borrow_nothing(parser: Parser) -> None:
    hint = Hint("How much did we sell last year?", "actual_qty", 0.9)
    r = parser.parse("what is the weather in paris", hints=[hint])
    assert r.intent.metrics == [] and r.used_hint is None


def test_hint_fills_missing_metric(parser: Parser) -> None:
    r = parser.parse("how much did each store do in 2025", hints=[Hint("What volume did each warehouse ship?",
                                                                            "actual_qty", 0.6)])
    assert r.intent.metrics == ["actual_qty"] and r.used_hint == "What volume did each warehouse ship?"
    low = parser.parse("how much did each store do in 2025", hints=[Hint("x", "actual_qty", 0.05)])
    assert low.intent.metrics == []  # below the similarity threshold: not trusted


def test_followup_reuses_previous_intent(parser: Parser) -> None:
    first = parser.parse("accuracy by region for theta last 6 months").intent
    r = parser.parse("and by brand?", previous=first)
    assert r.followup and r.intent.metrics == ["accuracy_pct"] and r.intent.group_by == ["brand"]
    assert r.intent.models == ["theta"] and r.intent.time == first.time
    r2 = parser.parse("only Beverages", previous=r.intent)
    assert r2.intent.filters == {"category": ["Beverages"]} and r2.intent.group_by == ["brand"]
    r3 = parser.parse("also by month", previous=r2.intent)
    assert r3.intent.group_by == ["brand", "month"]


def test_intent_json_round_trip(parser: Parser) -> None:
    intent = parser.parse("top 3 regions by wape for theta at lag 1 in q4 2025").intent
    assert Intent.from_json(intent.to_json()).to_json() == intent.to_json()


def _compile(text: str) -> tuple[str, exp.Expression]:
    v = vocab()
    c = Compiler(v).compile(Parser(v).parse(text).intent)
    return c.sql, c.ast


def test_compiled_sql_is_a_trino_select_ast_that_passes_the_guard() -> None:
    sql, ast = _compile("top 5 items by accuracy for theta in DE-North last 6 months")
    assert isinstance(ast, exp.Select)
    assert isinstance(sqlglot.parse_one(sql, read="trino"), exp.Select)
    guarded = guard_sql(sql, allowed=served_tables())
    assert guarded.tables == ("gold.fact_forecast_accuracy", "gold.dim_dfu")
    assert "LIMIT 5" in guarded.sql and "f.model_id = 'theta'" in sql and "d.region = 'DE-North'" in sql


def test_compiler_defaults_and_sources() -> None:
    sql, _ = _compile("accuracy by brand")
    assert "f.model_id = 'champion'" in sql  # no model named: the champion
    sql, _ = _compile("units sold by category")
    assert "gold.fact_sales_monthly" in sql and "CAST('2025-11-01' AS DATE)" in sql  # default: last 12 months
    sql, _ = _compile("forecast by category next 3 months")
    assert "f.scenario_id = 'baseline'" in sql and "gold.fact_forecast AS f" in sql
    sql, _ = _compile("what will we sell next quarter")  # future months: only forecasts exist
    assert "gold.fact_forecast AS f" in sql and "SUM(f.fcst_qty)" in sql
    sql, _ = _compile("revenue by segment in 2025")
    assert "gold.agg_loc_customer_week" in sql and "c.segment" in sql
    sql, _ = _compile("fva by lag for theta")
    assert "AS bn ON" in sql and "bn.model_id = 'seasonal_naive'" in sql


def test_values_are_quoted_by_sqlglot_not_pasted() -> None:
    v = vocab()
    v.add("brand", "O'Brien; DROP TABLE x --")
    intent = Intent(metrics=["actual_qty"], filters={"brand": ["O'Brien; DROP TABLE x --"]})
    sql = Compiler(v).compile(intent).sql
    assert "'O''Brien; DROP TABLE x --'" in sql
    assert len(sqlglot.parse(sql, read="trino")) == 1
    guard_sql(sql, allowed=served_tables())


def test_compile_errors_explain() -> None:
    v = vocab()
    with pytest.raises(CompileError, match="app database"):
        Compiler(v).compile(Intent(metrics=["override_count"]))
    with pytest.raises(CompileError, match="customer-level"):
        Compiler(v).compile(Intent(metrics=["accuracy_pct"], group_by=["customer"]))
    with pytest.raises(CompileError, match="what to measure"):
        Compiler(v).compile(Intent(group_by=["region"]))
