"""Ask a question, get an answer: screen -> (SQL: guard) or (rules: retrieval hints -> parse -> compile -> guard)
-> execute read-only -> answer text + chart; optional LLM when the rules cannot tell what is asked.

Outcomes: a ``ChatReply`` (answered, or a clarification with ``did_you_mean`` and no SQL), ``ChatRefused``
(safety: the API answers 400 with ``refused: true``), ``ChatBadRequest`` (bad input, 400), or
``UnknownConversation`` (404).
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lakecast.chat.answer import Chart, chart_for, summarize
from lakecast.chat.compiler import CompileError, Compiler
from lakecast.chat.config import ChatSettings
from lakecast.chat.conversations import ConversationStore, MemoryConversations, Turn
from lakecast.chat.coverage import Clarification, UsedTerm
from lakecast.chat.entities import EntityIndex
from lakecast.chat.executor import ChatExecutor, QueryTimeout, jsonable
from lakecast.chat.guard import GuardedSQL, GuardRefusal, guard_sql
from lakecast.chat.intent import Intent
from lakecast.chat.llm import LLMClient, LLMError
from lakecast.chat.parser import Parser, ParseResult
from lakecast.chat.retrieval import Retriever, hints, schema_documents, semantic_documents
from lakecast.chat.screen import screen
from lakecast.chat.semantic import DIMENSIONS, METRICS, VALUE_DIMENSIONS, served_tables
from lakecast.chat.timeexpr import TimeRange
from lakecast.chat.vocab import Vocabulary, load_vocabulary, normalize


class ChatRefused(Exception):
    def __init__(self, message: str, conversation_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.conversation_id = conversation_id


class ChatBadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ChatReply:
    answer: str
    conversation_id: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    chart: Chart = field(default_factory=lambda: Chart("table"))
    did_you_mean: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: str = "rules"  # rules | sql | llm | clarify
    intent: dict[str, Any] | None = None
    used: list[UsedTerm] = field(default_factory=list)  # what each phrase of the question was read as
    ignored: list[str] = field(default_factory=list)  # harmless words that were left out
    clarification: Clarification | None = None  # set when the chat asks back instead of answering


#: the tables the vocabulary and entity index are read from: a new snapshot of any of them rebuilds both
VOCABULARY_TABLES = ("gold.dim_item", "gold.dim_location", "gold.dim_customer", "gold.dim_dfu",
                     "gold.fact_sales_monthly", "gold.fact_forecast_accuracy", "gold.fact_forecast")


class ChatService:
    """One per app (or per settings): caches the vocabulary, holds the executor, retriever and memory."""

    def __init__(self, executor: ChatExecutor, cfg: ChatSettings | None = None, *,
                 retriever: Retriever | None = None, conversations: ConversationStore | None = None,
                 llm: LLMClient | None = None, vocab_ttl_seconds: float = 300.0):
        self.executor = executor
        self.cfg = cfg or ChatSettings()
        self.retriever = retriever
        self.conversations = conversations or MemoryConversations(self.cfg.conversation_ttl_hours)
        self.llm = llm
        self.allowed = served_tables()
        self._vocab: Vocabulary | None = None
        self._index: EntityIndex | None = None
        self._vocab_key: tuple[int | None, ...] | None = None
        self._vocab_at = 0.0
        self._vocab_ttl = vocab_ttl_seconds
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ plumbing
    def vocabulary(self, *, reload: bool = False) -> Vocabulary:
        return self.vocabulary_and_index(reload=reload)[0]

    def vocabulary_and_index(self, *, reload: bool = False) -> tuple[Vocabulary, EntityIndex]:
        """The words read from the data and the entity index over them, rebuilt when a dimension (or fact) table
        they come from has a new snapshot, or after ``vocab_ttl_seconds``."""
        with self._lock:
            key = tuple(self.executor.snapshot_id(t) for t in VOCABULARY_TABLES)
            stale = time.monotonic() - self._vocab_at > self._vocab_ttl or key != self._vocab_key
            if reload or self._vocab is None or self._index is None or stale:
                self.executor.refresh()
                self._vocab = load_vocabulary(self.executor.query, self.allowed,
                                              published=lambda t: self.executor.snapshot_id(t) is not None)
                self._index = Parser(self._vocab).index
                self._vocab_key = key
                self._vocab_at = time.monotonic()
            return self._vocab, self._index

    def guard(self, sql: str) -> GuardedSQL:
        return guard_sql(sql, allowed=self.allowed, max_rows=self.cfg.max_rows,
                         max_sql_chars=self.cfg.max_sql_chars, max_joins=self.cfg.max_joins)

    def execute(self, guarded: GuardedSQL) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            return self.executor.run(guarded.sql)
        except QueryTimeout as exc:
            raise ChatRefused(f"refused: {exc}; narrow the question (a time window, a filter, top N)") from None
        except self.executor.query_errors() as exc:  # the guarded query's fault here: a 400, never a 500
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ChatBadRequest(f"the query failed on the serving engine: {first[:300]}") from None

    # ---------------------------------------------------------------------------------------------- ask
    def ask(self, question: str, *, username: str, filters: Mapping[str, Any] | None = None,
            conversation_id: str | None = None) -> ChatReply:
        q = (question or "").strip()
        if not q:
            raise ChatBadRequest("the question is empty")
        if len(q) > self.cfg.max_question_chars:
            raise ChatRefused(f"refused: questions are limited to {self.cfg.max_question_chars} characters")
        previous = self.conversations.last_intent(conversation_id, username) if conversation_id else None
        cid = conversation_id or self.conversations.new_id(username)
        try:
            reply = self._answer(q, cid, previous, filters or {})
        except ChatRefused as exc:
            exc.conversation_id = cid
            self.conversations.record(cid, username, None, Turn(q, None, True, exc.message))
            raise
        intent = Intent.from_json(reply.intent) if reply.intent else None
        self.conversations.record(cid, username, intent, Turn(q, reply.sql, False, reply.answer))
        return reply

    def _answer(self, q: str, cid: str, previous: Intent | None, filters: Mapping[str, Any]) -> ChatReply:
        screened = screen(q)
        if screened.kind == "refuse":
            raise ChatRefused(screened.message)
        if screened.kind == "sql":
            return self._run_sql(q, cid, mode="sql")
        vocab, index = self.vocabulary_and_index()
        parser = Parser(vocab, min_hint_similarity=self.cfg.retrieval_min_similarity, index=index)
        nearest = hints(self.retriever, q, self.cfg.retrieval_k) if self.retriever else []
        result = parser.parse(q, previous, nearest)
        if result.problem:
            return ChatReply(result.problem, cid, did_you_mean=result.did_you_mean, mode="clarify",
                             used=result.used, ignored=result.ignored)
        if result.clarification is not None:  # a word that could change the answer: ask, do not guess
            c = result.clarification
            if self.llm is not None and (c.ask_llm or not c.choices):  # the rules cannot read it: the LLM may
                return self._ask_llm(q, cid)
            return ChatReply(c.message, cid, did_you_mean=[ch.label for ch in c.choices], mode="clarify",
                             used=result.used, ignored=result.ignored, clarification=c)
        intent = result.intent
        self._apply_filters(intent, filters, vocab)
        if not intent.metrics:
            if self.llm is not None:
                return self._ask_llm(q, cid)
            return self._clarify("I could not tell what to measure.", result, cid)
        try:
            compiled = Compiler(vocab, max_rows=self.cfg.max_rows,
                                default_sales_months=self.cfg.default_sales_months).compile(intent)
        except CompileError as exc:
            if self.llm is not None:
                return self._ask_llm(q, cid)
            return ChatReply(str(exc), cid, did_you_mean=result.did_you_mean, mode="clarify",
                             intent=intent.to_json(), used=result.used, ignored=result.ignored)
        try:
            guarded = self.guard(compiled.sql)
        except GuardRefusal as exc:  # the compiler only emits allowed SQL; refuse loudly if it ever does not
            raise ChatRefused(exc.message) from None
        columns, rows = self.execute(guarded)
        notes = _notes(result, compiled.notes)
        truncated = len(rows) >= guarded.limit and not compiled.ordered
        answer = summarize(columns, rows, compiled.dimensions, compiled.metrics,
                           context=_context(intent, compiled.time), ordered=compiled.ordered, top_n=intent.top_n,
                           truncated=truncated)
        if not rows and intent.source == "accuracy" and not intent.models and vocab.champion_months:
            a, b = vocab.champion_months
            answer += f" The champion is scored on {a:%Y-%m}..{b:%Y-%m} only; name a model for other months."
        if result.ignored:
            answer += " Ignored: " + ", ".join(f"'{w}'" for w in result.ignored) + "."
        return ChatReply(answer, cid, guarded.sql, columns, [[jsonable(v) for v in r] for r in rows],
                         chart_for(columns, rows, compiled.dimensions, compiled.metrics), result.did_you_mean,
                         notes, "rules", intent.to_json(), used=result.used, ignored=result.ignored)

    # ------------------------------------------------------------------------------------------- helpers
    def _run_sql(self, sql: str, cid: str, *, mode: str) -> ChatReply:
        try:
            guarded = self.guard(sql)
        except GuardRefusal as exc:
            raise ChatRefused(exc.message) from None
        columns, rows = self.execute(guarded)
        cut = " (cut at the row limit)" if len(rows) >= guarded.limit else ""
        who = "the LLM's SQL" if mode == "llm" else "your SQL"
        return ChatReply(f"Ran {who} (checked by the guard): {len(rows)} rows{cut}.", cid, guarded.sql, columns,
                         [[jsonable(v) for v in r] for r in rows], chart_for(columns, rows), mode=mode)

    def _ask_llm(self, q: str, cid: str) -> ChatReply:
        assert self.llm is not None
        if self.retriever is not None:
            context = [h.document for h in self.retriever.search(q, k=8) if h.document.kind != "example"]
            examples = [h.document for h in self.retriever.search(q, kind="example", k=4)]
        else:
            context, examples = schema_documents() + semantic_documents(), []
        try:
            sql = self.llm.complete_sql(q, context, examples)
        except LLMError as exc:
            return ChatReply(f"I could not parse the question and {exc}.", cid, mode="clarify")
        if sql is None:
            return ChatReply("The LLM found no way to answer this from the served tables.", cid, mode="clarify")
        return self._run_sql(sql, cid, mode="llm")

    def _clarify(self, message: str, result: ParseResult, cid: str) -> ChatReply:
        metrics = [m.label for m in METRICS.values()]
        dims = [d.name for d in DIMENSIONS.values()]
        text = (f"{message} Known metrics: {', '.join(metrics)}. Slice by: {', '.join(dims)}. "
                "Example: 'accuracy by region last 6 months'.")
        return ChatReply(text, cid, did_you_mean=result.did_you_mean or metrics[:5], mode="clarify",
                         used=result.used, ignored=result.ignored)

    @staticmethod
    def _apply_filters(intent: Intent, filters: Mapping[str, Any], vocab: Vocabulary) -> None:
        """Merge UI context filters (``{"category": "Beverages", "model": "theta", "lag": 1}``); the question's
        own filters win."""
        for dim, raw in filters.items():
            values = raw if isinstance(raw, list | tuple) else [raw]
            if dim == "model":
                intent.models = intent.models or [_known(str(v), dict(vocab.models), "model") for v in values]
            elif dim == "lag":
                intent.lags = intent.lags or [_lag(v) for v in values]
            elif dim in VALUE_DIMENSIONS:
                if dim not in intent.filters:
                    intent.filters[dim] = [_known(str(v), vocab.values.get(dim, {}), dim) for v in values]
            else:
                names = [*VALUE_DIMENSIONS, "model", "lag"]
                close = difflib.get_close_matches(str(dim), names, n=1, cutoff=0.6)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ChatBadRequest(f"unknown filter {dim!r}.{hint} Filters may use: {', '.join(names)}")


def _known(value: str, phrases: Mapping[str, str], dim: str) -> str:
    canon = set(phrases.values())
    if value in canon:
        return value
    hit = phrases.get(normalize(value))
    if hit is not None:
        return hit
    close = difflib.get_close_matches(value, sorted(canon), n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ChatBadRequest(f"unknown {dim} {value!r} in filters.{hint}")


def _lag(value: Any) -> int:
    try:
        lag = int(value)
    except (TypeError, ValueError):
        raise ChatBadRequest(f"filter lag must be an integer 0..4, got {value!r}") from None
    if not 0 <= lag <= 4:
        raise ChatBadRequest(f"filter lag must be 0..4, got {lag}")
    return lag


def _context(intent: Intent, window: TimeRange | None) -> str:
    parts = []
    if window is not None:
        parts.append(window.describe())
    for dim, values in intent.filters.items():
        parts.append(f"{dim} {', '.join(values)}")
    if intent.models:
        parts.append(f"model {' vs '.join(intent.models)}")
    if intent.lags:
        parts.append(f"lag {', '.join(str(x) for x in intent.lags)}")
    if intent.execution_lag:
        parts.append("at each DFU's execution lag")
    if intent.scenario:
        parts.append(f"scenario {intent.scenario}")
    return "; ".join(parts) or "all available data"


def _notes(result: ParseResult, compiler_notes: Sequence[str]) -> list[str]:
    notes = list(compiler_notes)
    if result.corrections:
        notes.append("read " + ", ".join(f"'{a}' as '{b}'" for a, b in result.corrections.items()))
    if result.ignored:
        notes.append("ignored (harmless): " + ", ".join(result.ignored))
    if result.followup:
        notes.append("follow-up: kept the previous question's metric, filters and time unless changed")
    return notes
