"""Scores chat by execution: each evaluation question's answer rows must equal the rows of its hand-written
SQL on the same engine (order-insensitive unless the case says ``ordered``, floats to 1e-6).

Also measures retrieval: how often the nearest example question has the case's primary metric.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lakecast.chat.retrieval import Retriever
from lakecast.chat.service import ChatBadRequest, ChatRefused, ChatService

QueryFn = Callable[[str], list[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    question: str
    sql: str
    metric: str | None = None
    ordered: bool = False
    after: tuple[str, ...] = ()


@dataclass
class Outcome:
    case: Case
    passed: bool
    reason: str = ""
    got_sql: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def summary(self) -> str:
        lines = [f"chat eval: {sum(o.passed for o in self.outcomes)}/{len(self.outcomes)} = {100 * self.score:.1f}%"]
        lines += [f"  FAIL {o.case.question!r}: {o.reason}" for o in self.failures()]
        return "\n".join(lines)


def load_cases(path: Path) -> list[Case]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(e["question"], e["sql"], e.get("metric"), bool(e.get("ordered", False)), tuple(e.get("after", ())))
            for e in entries]


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        f = float(value)
        return None if math.isnan(f) else f
    return str(value)


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((0, round(v, 4)) if isinstance(v, float) else (1, "") if v is None else (2, str(v)) for v in row)


def rows_equal(got: Sequence[Sequence[Any]], want: Sequence[Sequence[Any]], ordered: bool) -> tuple[bool, str]:
    """Compare two result sets cell by cell (floats with rel 1e-9 / abs 1e-6); unordered sets are sorted first."""
    g = [tuple(_cell(v) for v in r) for r in got]
    w = [tuple(_cell(v) for v in r) for r in want]
    if len(g) != len(w):
        return False, f"{len(g)} rows, expected {len(w)}"
    if g and len(g[0]) != len(w[0]):
        return False, f"{len(g[0])} columns, expected {len(w[0])}"
    if not ordered:
        g, w = sorted(g, key=_sort_key), sorted(w, key=_sort_key)
    for i, (a, b) in enumerate(zip(g, w, strict=True)):
        for x, y in zip(a, b, strict=True):
            same = (math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6) if isinstance(x, float) and isinstance(y, float)
                    else x == y)
            if not same:
                return False, f"row {i}: got {a}, expected {b}"
    return True, ""


def evaluate(service: ChatService, query: QueryFn, cases: Sequence[Case], *, username: str = "eval") -> Report:
    """Ask every case (after its earlier turns) and compare with its expected SQL's rows."""
    report = Report()
    for case in cases:
        expected = [tuple(r.values()) for r in query(case.sql)]
        cid = None
        try:
            for earlier in case.after:
                cid = service.ask(earlier, username=username, conversation_id=cid).conversation_id
            reply = service.ask(case.question, username=username, conversation_id=cid)
        except (ChatRefused, ChatBadRequest) as exc:
            report.outcomes.append(Outcome(case, False, f"{type(exc).__name__}: {exc.message}"))
            continue
        if reply.sql is None:
            report.outcomes.append(Outcome(case, False, f"no SQL: {reply.answer}"))
            continue
        ok, why = rows_equal(reply.rows, expected, case.ordered)
        report.outcomes.append(Outcome(case, ok, why, reply.sql))
    return report


def retrieval_top1(retriever: Retriever, cases: Sequence[Case]) -> tuple[int, int]:
    """Return (cases whose nearest example has the case's metric, cases with a metric)."""
    scored = [c for c in cases if c.metric]
    hits = 0
    for c in scored:
        top = retriever.search(c.question, kind="example", k=1)
        hits += bool(top) and top[0].document.metric == c.metric
    return hits, len(scored)
