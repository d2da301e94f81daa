"""Question text -> Intent, by rules (deterministic, no model): time expression first, then the longest known
phrases left to right (metrics, dimensions, values from the data, models, keywords), then a few readings
("by X" groups, "top 5" orders, "lag 1" filters, "theta vs lgbm" compares).

Words it does not know are matched against everything it does know (difflib): a close match to a single
word is corrected and reported; an unknown id (e.g. ``I000999``) stops the parse with "did you mean". What is
still unknown then is resolved against the dimension values (:mod:`lakecast.chat.coverage`): every word ends up
used, reported as ignored, or asked about (a clarification instead of an answer).
Retrieval hints (nearest example questions) fill a missing metric; a follow-up question ("and by region?")
starts from the previous turn's intent.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lakecast.chat.coverage import (
    CONTEXT_WORDS,
    FILLER,
    FUNCTION_WORDS,
    FUTURE_WORDS,
    NEGATIONS,
    Choice,
    Clarification,
    Token,
    Unresolved,
    UsedTerm,
    clarify,
    ignored_phrases,
    leftover,
    replace_words,
    resolve_words,
)
from lakecast.chat.entities import EntityIndex
from lakecast.chat.intent import Intent
from lakecast.chat.semantic import ACCURACY_ONLY, DIMENSIONS, METRICS, dimension_words, metric_words
from lakecast.chat.timeexpr import TimeRange, find_time
from lakecast.chat.vocab import Vocabulary, normalize

MAX_NGRAM = 7
DEFAULT_TOP_N = 10
#: similarity above which a nearest example overrides a vague metric word
STRONG_HINT = 0.5

#: metric words that only count when no more specific metric is named ("how accurate was the forecast")
WEAK_METRIC_WORDS = frozenset({"forecast", "forecasts", "forecasted", "sales", "demand", "plan", "expected",
                               "expecting", "expect", "anticipated", "anticipate", "bought", "buy", "buys",
                               "projected", "predicted", "prediction", "predictions", "error", "perform",
                               "performance", "performed", "performing", "how well", "how good"})

KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("by", "per", "each", "every", "across", "for each", "for every", "broken down by", "split by", "grouped by", "group by", "breakdown by", "by each"), "by"),
    **dict.fromkeys(("top", "highest", "most", "largest", "biggest", "greatest", "max", "maximum", "higher", "more", "leading"), "top"),
    **dict.fromkeys(("bottom", "lowest", "least", "smallest", "fewest", "min", "minimum", "lower", "less", "weakest"), "bottom"),
    **dict.fromkeys(("best", "strongest"), "best"),
    **dict.fromkeys(("worst", "poorest", "problem", "problematic"), "worst"),
    **dict.fromkeys(("vs", "versus", "compare", "compared", "comparison", "against", "v"), "vs"),
    **dict.fromkeys(("which", "what", "who"), "which"),
    **dict.fromkeys(("execution lag", "execution lags", "exec lag", "at execution lag"), "exec_lag"),
    **dict.fromkeys(("and", "also", "what about", "how about", "same", "same for", "now", "instead", "only", "just", "then", "ok", "and also"), "followup"),
    "final forecast": "scenario:final", "final": "scenario:final", "baseline forecast": "scenario:baseline",
    "baseline": "scenario:baseline", "statistical forecast": "scenario:baseline",
}
FOLLOWUP_STARTS = ("and", "also", "what about", "how about", "same", "now", "instead", "only", "just", "then",
                   "ok", "what if", "break it down", "split it", "show it", "but")

STOPWORDS = frozenset(["a", "an", "the", "of", "for", "in", "on", "at", "to", "from", "with", "without", "into", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "doing", "have", "has", "had", "having", "i", "me", "my", "we", "our", "us", "you", "your", "it", "its", "this", "that", "these", "those", "there", "here", "their", "them", "they", "he", "she", "his", "her", "show", "me", "give", "list", "tell", "get", "got", "display", "see", "find", "return", "report", "please", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "how", "much", "many", "what", "which", "who", "whom", "whose", "when", "where", "why", "total", "overall", "all", "any", "some", "value", "values", "number", "numbers", "figure", "figures", "level", "levels", "data", "table", "result", "results", "chart", "graph", "plot", "versus", "than", "then", "so", "far", "up", "down", "out", "off", "only", "just", "also", "and", "or", "but", "not", "no", "yes", "too", "very", "more", "most", "less", "least", "per", "each", "every", "across", "by", "s", "let", "lets", "like", "want", "need", "know", "look", "looking", "again", "same", "did", "do", "our", "ours", "overall", "sum", "summary", "rank", "ranked", "ranking", "sorted", "sort", "order", "ordered", "view", "breakdown", "broken", "split", "grouped", "group", "was", "were", "during", "period", "time", "range", "window", "months", "month", "weeks", "week", "years", "year", "quarter", "quarters", "q", "latest", "recent", "recently", "current", "currently", "today", "now", "ago", "last", "next", "past", "previous", "since", "between", "through", "until", "till", "thru", "been", "being", "percent", "percentage", "pct", "pp", "rate", "ratio", "score", "scores", "metric", "metrics", "kpi", "kpis", "measure", "measures"])

#: words the entity resolver does not search (function words, fillers, negations, future words)
_NOT_SEARCHED = STOPWORDS | NEGATIONS | FILLER | FUNCTION_WORDS | FUTURE_WORDS

_ID_LIKE = re.compile(r"^[a-z]{1,3}\d{3,}$|\|")


@dataclass
class ParseResult:
    intent: Intent
    tokens: list[Token] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    did_you_mean: list[str] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the question cannot be answered as asked
    followup: bool = False
    used_hint: str | None = None  # the example question whose metric was borrowed
    used: list[UsedTerm] = field(default_factory=list)  # every phrase that shaped the query, with its role
    ignored: list[str] = field(default_factory=list)  # harmless words left out ("please", "show me")
    clarification: Clarification | None = None  # a word that could change the answer was not understood


@dataclass(frozen=True)
class Hint:
    """A nearest example question (from retrieval) and what it asks for."""

    question: str
    metric: str | None
    similarity: float


class Parser:
    """Rule-based parser over a fixed vocabulary (the semantic layer + words read from the data)."""

    def __init__(self, vocab: Vocabulary, *, min_hint_similarity: float = 0.30, index: EntityIndex | None = None):
        self.vocab = vocab
        self.min_hint_similarity = min_hint_similarity
        self.phrases: dict[str, Token] = {}
        # priority: later assignments do not overwrite earlier ones
        for dim, table in vocab.values.items():
            for phrase, value in table.items():
                self.phrases.setdefault(phrase, Token("value", value, phrase, dim))
        for phrase, mid in vocab.models.items():
            self.phrases.setdefault(phrase, Token("model", mid, phrase))
        for phrase, kw in KEYWORDS.items():
            if " " in phrase:  # multi-word keywords beat single metric/dimension words
                self.phrases.setdefault(normalize(phrase), Token("kw", kw, phrase))
        for phrase, name in metric_words().items():
            weak = "weak" if phrase in WEAK_METRIC_WORDS else ""
            self.phrases.setdefault(normalize(phrase), Token("metric", name, phrase, weak))
        for phrase, name in dimension_words().items():
            self.phrases.setdefault(normalize(phrase), Token("dim", name, phrase))
        for phrase, kw in KEYWORDS.items():
            self.phrases.setdefault(normalize(phrase), Token("kw", kw, phrase))
        self._known_words = {w for p in self.phrases for w in p.split()}
        self._single_words = sorted(self._known_words - STOPWORDS)
        self.index = index or EntityIndex(vocab, known_words=frozenset(self._single_words))

    # ------------------------------------------------------------------------------------------ tokenising
    def tokenize(self, words: list[str]) -> list[Token]:
        """Greedy longest-phrase match, left to right."""
        out: list[Token] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_NGRAM, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + n])
                tok = self.phrases.get(phrase)
                if tok is not None:
                    out.append(tok)
                    i += n
                    break
            else:
                w = words[i]
                out.append(Token("num", w, w) if w.isdigit() else Token("word", w, w))
                i += 1
        return out

    def _suggest(self, word: str) -> list[str]:
        if _ID_LIKE.search(word):
            ids = [p for p in self.phrases if _ID_LIKE.search(p) and p[:1] == word[:1]]
            return [self.phrases[p].value for p in difflib.get_close_matches(word, ids, n=3, cutoff=0.6)]
        return difflib.get_close_matches(word, self._single_words, n=3, cutoff=0.75)

    def _correct(self, words: list[str], result: ParseResult) -> list[str]:
        """Replace close misspellings of known single words; collect suggestions for the rest."""
        fixed = []
        for w in words:
            if w in _NOT_SEARCHED or w.isdigit() or w in self._known_words:
                fixed.append(w)
                continue
            cands = self._suggest(w)
            if _ID_LIKE.search(w):
                result.unknown.append(w)
                result.did_you_mean.extend(c for c in cands if c not in result.did_you_mean)
                fixed.append(w)
                continue
            best = cands[0] if cands else None
            if best and len(w) >= 4 and difflib.SequenceMatcher(None, w, best).ratio() >= 0.8:
                result.corrections[w] = best
                fixed.append(best)
            else:
                fixed.append(w)  # resolved against the dimension values after tokenising (coverage.py)
        return fixed

    # -------------------------------------------------------------------------------------------- parsing
    def parse(self, question: str, previous: Intent | None = None, hints: Sequence[Hint] = ()) -> ParseResult:
        lowered = question.lower().strip()
        intent = Intent()
        result = ParseResult(intent)
        try:
            intent.time, span = find_time(lowered, self.vocab.anchor)
        except ValueError as exc:
            result.problem = f"I could not read the time in your question: {exc}"
            return result
        if span:
            if intent.time is not None:
                result.used.append(UsedTerm(question.strip()[span[0]:span[1]].strip(), "time", intent.time.describe()))
            lowered = lowered[:span[0]] + " " + lowered[span[1]:]
        words = self._correct(normalize(lowered).split(), result)
        tokens = self.tokenize(words)
        matched = {w for t in tokens if t.kind != "word" for w in t.phrase.split()}
        for wrong, right in list(result.corrections.items()):
            if right not in matched and not self.index.is_name_word(right):  # the correction matched nothing
                del result.corrections[wrong]
                tokens = [Token("word", wrong, wrong) if t.kind == "word" and t.value == right else t for t in tokens]
        tokens, unresolved = resolve_words(tokens, self.index, self.phrases, _NOT_SEARCHED, result.corrections,
                                          _capitalised(question))
        self._future_words(tokens, intent, result)
        result.tokens = tokens
        consumed: set[int] = set()
        self._read(tokens, intent, consumed)
        ids = [w for w in result.unknown if _ID_LIKE.search(w)]
        if ids:
            known = ", ".join(result.did_you_mean) or "none close"
            result.problem = f"I do not know {', '.join(ids)}. Did you mean: {known}?"
            return result
        self._account(question, tokens, intent, consumed, unresolved, result)
        text = normalize(question)
        result.followup = previous is not None and (_starts_with(text, FOLLOWUP_STARTS) or not intent.metrics)
        if result.followup and previous is not None:
            merge_followup(previous, intent, also=_starts_with(text, ("also", "and also")))
            result.used.append(UsedTerm(text.split()[0] if text else "", "follow-up",
                                        "kept the previous question's metric, filters and time unless changed"))
        if _has_signal(tokens, intent):
            if not intent.metrics:
                self._fill_metric_from_hints(intent, hints, result)
                self._unknown_may_be_the_measure(question, tokens, intent, result)
            elif all(t.extra == "weak" for t in tokens if t.kind == "metric") and not result.followup:
                self._resolve_weak_metric(intent, hints, result)
        return result

    def _account(self, question: str, tokens: list[Token], intent: Intent, consumed: set[int],
                 unresolved: list[Unresolved], result: ParseResult) -> None:
        """Fill ``used`` and ``ignored``; a word that could change the answer and is not understood becomes the
        clarification."""
        result.used.extend(used_terms(tokens, intent, consumed))
        result.ignored = ignored_phrases(tokens)
        for u in list(unresolved):  # "what share of units ... on promotion": the measure's own word
            if all(set(CONTEXT_WORDS.get(w, ())) & set(intent.metrics) for w in u.words):
                unresolved.remove(u)
                result.used.append(UsedTerm(" ".join(u.words), "measure", "part of: " + ", ".join(
                    METRICS[m].label for m in intent.metrics)))
        problems = leftover(tokens, consumed, unresolved)
        if problems:
            countries = sorted(self.vocab.labels.get("country", {}).values())
            c = clarify(question, problems[0], countries)
            others = [" ".join(p.words) for p in problems[1:]]
            if others:
                c.message += " (Also not understood: " + ", ".join(f"'{o}'" for o in others) + ".)"
            result.clarification = c

    @staticmethod
    def _unknown_may_be_the_measure(question: str, tokens: list[Token], intent: Intent, result: ParseResult) -> None:
        """The question names no measure and has an unknown word ("what came through the *tills*"): that word
        may be the measure, so the borrowed one is not trusted; ask, offering measures in its place."""
        unknown = [t.value for t in tokens if t.kind == "word" and t.extra == "ignored"]
        if not unknown or result.clarification is not None or not result.used_hint:
            return
        word = unknown[0]
        names = list(dict.fromkeys([*intent.metrics, "actual_qty", "revenue", "forecast_qty", "accuracy_pct"]))
        choices = [Choice(METRICS[m].label, "metric", m, replace_words(question, [word], METRICS[m].synonyms[0]))
                   for m in names if m in METRICS]
        result.clarification = Clarification(
            f"The question names no measure and I do not know '{word}': did you mean "
            + " or ".join(c.label for c in choices) + "?", word, choices, ask_llm=True)
        result.ignored = [w for w in result.ignored if w != word]

    def _future_words(self, tokens: list[Token], intent: Intent, result: ParseResult) -> None:
        """"the coming months": with no time of its own, the question covers the forward forecast months."""
        words = [t.value for t in tokens if t.kind == "word" and t.value in FUTURE_WORDS]
        if words and intent.time is None and self.vocab.forecast_months:
            a, b = self.vocab.forecast_months
            intent.time = TimeRange(a, b, "the coming months")
            result.used.append(UsedTerm(words[0], "time", intent.time.describe()))

    def _resolve_weak_metric(self, intent: Intent, hints: Sequence[Hint], result: ParseResult) -> None:
        """One vague metric word ("where do we miss the forecast"): a close example question about accuracy
        decides that an accuracy metric is meant (never for future months, which have no actuals)."""
        top = hints[0] if hints else None
        future = intent.time is not None and intent.time.start > self.vocab.anchor
        if (top is not None and len(intent.metrics) == 1 and not future and top.metric in ACCURACY_ONLY
                and top.metric not in intent.metrics and top.similarity >= max(self.min_hint_similarity, STRONG_HINT)):
            intent.metrics = [top.metric]
            result.used_hint = top.question
            intent.notes.append(f"read as {METRICS[top.metric].label} (closest known question: \"{top.question}\")")

    def _fill_metric_from_hints(self, intent: Intent, hints: Sequence[Hint], result: ParseResult) -> None:
        usable = [h for h in hints if h.metric in METRICS and h.similarity >= self.min_hint_similarity]
        if usable:
            hint = usable[0]
            intent.metrics = [hint.metric]  # type: ignore[list-item]
            result.used_hint = hint.question
            intent.notes.append(f"assumed {METRICS[hint.metric].label} (closest known question: "  # type: ignore[index]
                                f"\"{hint.question}\")")
        elif intent.models:
            intent.metrics = ["accuracy_pct"]
            intent.notes.append("assumed accuracy % (a question about models)")

    def _read(self, tokens: list[Token], intent: Intent, consumed: set[int]) -> None:
        """Interpret the token sequence into ``intent`` (metrics, groups, filters, order, models, lags)."""
        strong: list[str] = []
        weak: list[str] = []
        singular_which = False
        for i, tok in enumerate(tokens):
            prev = tokens[i - 1] if i > 0 else None
            if tok.kind == "metric":
                (weak if tok.extra == "weak" else strong).append(tok.value)
                if "most" in tok.phrase.split():  # "champion most often"
                    intent.order = intent.order or "top"
            elif tok.kind == "model":
                if tok.value not in intent.models:
                    intent.models.append(tok.value)
            elif tok.kind == "value":
                values = intent.filters.setdefault(tok.extra, [])
                values.extend(v for v in (tok.values or (tok.value,)) if v not in values)
                if tok.extra == "location_type" and _grouping_context(prev):  # "each store", "top 3 DCs"
                    if "location" not in intent.group_by:
                        intent.group_by.append("location")
                    if prev is not None and prev.kind == "num":
                        consumed.add(i - 1)
            elif tok.kind == "dim":
                self._read_dim(tokens, i, intent, consumed)
                if prev is not None and prev.kind == "kw" and prev.value == "which" and not tok.phrase.endswith("s"):
                    singular_which = True
            elif tok.kind == "kw" and tok.value.startswith("scenario:"):
                intent.scenario = tok.value.split(":", 1)[1]
                weak.append("forecast_qty")
            elif tok.kind == "kw":
                self._read_keyword(tokens, i, intent, consumed)
        linked: list[str] = []
        for i in range(1, len(tokens) - 1):  # "forecast vs actual", "revenue and units": both are asked
            a, link, b = tokens[i - 1], tokens[i], tokens[i + 1]
            if a.kind == b.kind == "metric" and link.kind == "kw" and link.phrase in ("vs", "versus", "and"):
                linked += [a.value, b.value]
                strong[:0] = [m for m in (a.value, b.value) if m not in strong]
        if "promo_share_pct" in strong and "actual_qty" in strong and "actual_qty" not in linked:
            strong = [m for m in strong if m != "actual_qty"]  # "share of units sold on promotion": the base
        metrics = strong or weak
        intent.metrics = list(dict.fromkeys(metrics))
        if "champion_dfus" in intent.metrics and "dfu_count" in intent.metrics:
            intent.metrics.remove("dfu_count")  # "how many DFUs does each model win" counts the wins
        future = intent.time is not None and intent.time.start > self.vocab.anchor
        if future and intent.metrics and set(intent.metrics) <= {"actual_qty", "revenue"}:
            intent.metrics = ["forecast_qty"]  # "what will we sell next quarter": only forecasts exist there
            intent.notes.append("future months: answered with the forecast")
        if intent.order and intent.top_n is None and intent.group_by:
            counted = [(k, int(t.value)) for k, (t, n) in enumerate(itertools.pairwise(tokens))
                       if t.kind == "num" and n.kind in ("dim", "value") and 0 < int(t.value) <= 1000]  # "3 customers"
            if counted:
                consumed.add(counted[0][0])
            intent.top_n = counted[0][1] if counted else 1 if singular_which else DEFAULT_TOP_N
        if len(intent.models) > 1 and "model" not in intent.group_by:
            intent.group_by.append("model")

    @staticmethod
    def _read_dim(tokens: list[Token], i: int, intent: Intent, consumed: set[int]) -> None:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.value == "lag":
            j = i + 1
            lags = []
            while j < len(tokens) and (tokens[j].kind == "num" or tokens[j].phrase in ("and", "or")):
                if tokens[j].kind == "num":
                    lags.append(int(tokens[j].value))
                    consumed.add(j)
                j += 1
            if lags:
                intent.lags = sorted(set(intent.lags) | set(lags))
                return
        prev = tokens[i - 1] if i > 0 else None
        if nxt is not None and nxt.kind == "value" and nxt.extra == tok.value:
            return  # "region DE-North": a filter, not a grouping
        if prev is not None and ((prev.kind == "value" and prev.extra == tok.value)
                                 or (prev.kind == "model" and tok.value == "model")):
            return  # "the Beverages category", "the combo model": naming a value, not grouping
        if tok.value not in intent.group_by:
            intent.group_by.append(tok.value)

    @staticmethod
    def _read_keyword(tokens: list[Token], i: int, intent: Intent, consumed: set[int]) -> None:
        tok = tokens[i]
        if tok.value in ("top", "bottom", "best", "worst"):
            intent.order = tok.value  # type: ignore[assignment]
            for k in (i + 1, i - 1):
                near = tokens[k] if 0 <= k < len(tokens) else None
                if near is not None and near.kind == "num" and 0 < int(near.value) <= 1000:
                    intent.top_n = int(near.value)
                    consumed.add(k)
                    break
        elif tok.value == "exec_lag":
            intent.execution_lag = True


def _capitalised(question: str) -> frozenset[str]:
    """Return the (normalised) words written with a capital letter inside the question, not at its start."""
    out: set[str] = set()
    for k, m in enumerate(re.finditer(r"[^\W\d_][\w'-]*", question)):
        if k > 0 and m.group()[0].isupper():
            out.update(normalize(m.group()).split())
    return frozenset(out)


def _grouping_context(prev: Token | None) -> bool:
    """True when a store/DC word groups ("each store", "which DCs", "top 3 stores") rather than filters."""
    return prev is not None and (prev.kind == "num" or (prev.kind == "kw" and prev.value in (
        "by", "which", "top", "bottom", "best", "worst")))


def used_terms(tokens: Sequence[Token], intent: Intent, consumed: set[int]) -> list[UsedTerm]:
    """Return what each recognised phrase of the question was used as."""
    out: list[UsedTerm] = []
    labels = ", ".join(METRICS[m].label for m in intent.metrics if m in METRICS)
    for i, tok in enumerate(tokens):
        text = tok.phrase
        if tok.kind == "metric":
            meaning = METRICS[tok.value].label if tok.value in intent.metrics else f"part of: {labels}"
            out.append(UsedTerm(text, "measure", meaning))
        elif tok.kind == "dim":
            dim = DIMENSIONS[tok.value]
            if tok.value in intent.group_by:
                out.append(UsedTerm(text, "grouping", f"by {dim.name}"))
            elif tok.value == "lag" and intent.lags:
                out.append(UsedTerm(text, "filter", "lag " + ", ".join(map(str, intent.lags))))
            else:
                out.append(UsedTerm(text, "filter", f"names a {dim.name} value"))
        elif tok.kind == "value":
            vals = tok.values or (tok.value,)
            shown = ", ".join(vals[:5]) + (f" (+{len(vals) - 5} more)" if len(vals) > 5 else "")
            role = "entity" if tok.extra in ("item", "location", "customer") else "filter"
            meaning = f"{tok.extra.replace('_', ' ')} {shown}"
            if tok.extra == "location_type" and "location" in intent.group_by:
                meaning += " (and grouped by location)"
            out.append(UsedTerm(text, role, f"{tok.note}: {meaning}" if tok.note else meaning))
        elif tok.kind == "model":
            out.append(UsedTerm(text, "comparison" if len(intent.models) > 1 else "filter", f"model {tok.value}"))
        elif tok.kind == "kw" and tok.value in ("top", "bottom", "best", "worst"):
            n = f" {intent.top_n}" if intent.top_n else ""
            out.append(UsedTerm(text, "order", f"{tok.value}{n}"))
        elif tok.kind == "kw" and tok.value == "vs":
            out.append(UsedTerm(text, "comparison", "side by side"))
        elif tok.kind == "kw" and tok.value == "exec_lag":
            out.append(UsedTerm(text, "filter", "each DFU's execution lag"))
        elif tok.kind == "kw" and tok.value.startswith("scenario:"):
            out.append(UsedTerm(text, "filter", "scenario " + tok.value.split(":", 1)[1]))
        elif tok.kind == "num" and i in consumed:
            out.append(UsedTerm(text, "number", "top N" if intent.top_n == int(tok.value) else "lag"))
    return out


def _has_signal(tokens: Sequence[Token], intent: Intent) -> bool:
    """True if the question names anything from the domain (else retrieval must not invent a metric)."""
    domain = any(t.kind in ("metric", "dim", "value", "model") for t in tokens)
    keyword = any(t.kind == "kw" and t.value in ("top", "bottom", "best", "worst", "exec_lag") for t in tokens)
    return domain or keyword or intent.time is not None or bool(intent.lags)


def _starts_with(text: str, phrases: Sequence[str]) -> bool:
    return any(text == p or text.startswith(p + " ") for p in phrases)


def merge_followup(previous: Intent, new: Intent, *, also: bool = False) -> None:
    """Fill ``new`` from the previous turn: what the follow-up does not say is kept, what it says replaces."""
    new.metrics = new.metrics or list(previous.metrics)
    if new.group_by:
        new.group_by = list(dict.fromkeys(previous.group_by + new.group_by)) if also else new.group_by
    else:
        new.group_by = list(previous.group_by)
    merged = {k: list(v) for k, v in previous.filters.items()}
    merged.update(new.filters)
    new.filters = merged
    new.time = new.time or previous.time
    new.models = new.models or list(previous.models)
    if len(new.models) > 1 and "model" not in new.group_by:
        new.group_by.append("model")
    new.lags = new.lags or list(previous.lags)
    new.execution_lag = new.execution_lag or previous.execution_lag
    new.scenario = new.scenario or previous.scenario
    if new.order is None:
        new.order, new.top_n = previous.order, previous.top_n


def describe_dimensions() -> str:
    """Return a short list of the dimensions (for help messages)."""
    return ", ".join(d.name for d in DIMENSIONS.values())
