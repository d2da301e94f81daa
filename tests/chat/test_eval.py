"""Execution-scored evaluation: every question's answer rows equal its hand-written SQL's rows on the tiny
pipeline data, via the real engine. The score is printed and must stay at or above THRESHOLD (docs/chat.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakecast.chat.evaluation import load_cases, retrieval_top1, rows_equal
from lakecast.chat.retrieval import MemoryStore
from lakecast.chat.service import ChatService

pytestmark = [pytest.mark.spark, pytest.mark.integration]

CASES = load_cases(Path(__file__).with_name("eval_questions.yaml"))
# Thresholds = achieved minus a stated margin (docs/chat.md "Measured"). Achieved: 91/91 questions answered
# with exactly the expected rows; margin: one question. Retrieval achieved 59/91; margin: two questions.
EVAL_MISSES_ALLOWED = 1
THRESHOLD = 1 - EVAL_MISSES_ALLOWED / len(CASES)
RETRIEVAL_ACHIEVED, RETRIEVAL_MARGIN = 59 / 91, 2 / 91
RETRIEVAL_THRESHOLD = RETRIEVAL_ACHIEVED - RETRIEVAL_MARGIN


def test_eval_set_is_large_enough_and_has_answers(engine: Any) -> None:
    assert len(CASES) >= 60
    assert len({c.question for c in CASES}) == len(CASES)
    for case in CASES:
        rows = engine.query(case.sql)
        assert rows and any(v is not None for v in rows[0].values()), f"empty expected result: {case.question}"


def test_eval_score_by_execution(chat_service: ChatService, engine: Any) -> None:
    from lakecast.chat.evaluation import evaluate

    report = evaluate(chat_service, engine.query, CASES)
    print("\n" + report.summary())
    assert report.score >= THRESHOLD, report.summary()


def test_retrieval_top1_metric_match(memory_store: MemoryStore) -> None:
    hits, total = retrieval_top1(memory_store, CASES)
    print(f"\nretrieval: nearest example has the question's metric for {hits}/{total} = {100 * hits / total:.1f}%")
    assert hits / total >= RETRIEVAL_THRESHOLD


def test_rows_equal_is_strict_where_it_should_be() -> None:
    assert rows_equal([(1.0, "a"), (2.0, "b")], [(2.0, "b"), (1.0, "a")], ordered=False)[0]
    assert not rows_equal([(1.0, "a"), (2.0, "b")], [(2.0, "b"), (1.0, "a")], ordered=True)[0]
    assert rows_equal([(1.0000000001,)], [(1.0,)], ordered=True)[0]
    assert not rows_equal([(1.001,)], [(1.0,)], ordered=True)[0]
    assert not rows_equal([(1.0, "a")], [(1.0,)], ordered=True)[0]
    assert not rows_equal([(1.0,)], [(1.0,), (1.0,)], ordered=False)[0]
