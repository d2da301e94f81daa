"""Every word of a question is used or reported: the words the parser did not recognise are resolved against the
served dimension values (:mod:`lakecast.chat.entities`), and what is left decides whether the chat may answer.

* **used**: a phrase with the role it played (measure, grouping, filter, entity, time, order, comparison, number,
  follow-up) and what it was read as.
* **ignored**: harmless words that change nothing ("please", "show me", "total"); the answer lists them.
* **clarification**: a word that could change the answer (a name-like word, a number, a negation, a place
  with no data) and is not understood: the chat asks back with the closest matches instead of answering.

Function words (articles, prepositions, auxiliaries, question words) are neither used nor reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from lakecast.chat.entities import MAX_CHOICES, MAX_FRAGMENT_MATCHES, Candidate, EntityIndex
from lakecast.chat.semantic import METRICS
from lakecast.chat.vocab import normalize

#: words that change nothing in the answer: reported in ``ignored``
FILLER = frozenset({
    "please", "pls", "plz", "kindly", "show", "me", "give", "list", "tell", "get", "display", "see", "find",
    "return", "report", "let", "lets", "like", "want", "need", "know", "look", "looking", "hi", "hello", "hey",
    "thanks", "thank", "quick", "quickly", "total", "overall", "all", "data", "numbers", "number", "figure",
    "figures", "value", "values", "chart", "graph", "plot", "table", "result", "results", "summary", "view",
    "overview", "again", "sum", "can", "could", "would", "info", "information", "details", "breakdown",
    "above", "below", "ahead", "behind", "far", "exactly", "roughly", "approximately", "about", "actually",
    "really", "currently", "right", "now", "okay", "ok", "hmm", "um", "cheers",
})
#: contractions and other function words that carry no content (neither used nor reported)
FUNCTION_WORDS = frozenset({"whats", "whos", "hows", "wheres", "whens", "thats", "theres", "heres", "its", "im",
                            "ive", "weve", "were", "youre", "lets", "did", "does", "do", "got", "going", "go", "one",
                            "gone", "make", "made", "come", "came", "happen", "happened", "ask", "question"})
#: measures planners ask for that the semantic layer does not have: asked back with the list of measures
UNSUPPORTED_MEASURES = frozenset({"average", "avg", "mean", "median", "margin",
                                  "margins", "profit", "profits", "cost", "costs", "stock", "stocks", "inventory",
                                  "growth", "yoy", "mom", "increase", "decrease", "change",
                                  "competitor", "competitors", "market", "elasticity", "returns", "waste"})
#: an unknown word right after one of these reads as a filter ("sales *of* zorblax", "accuracy *in* the north"):
#: asked about, never ignored
FILTER_WORDS = frozenset({"of", "for", "in", "at", "from", "to", "on", "named", "called", "via", "by"})
#: skipped when looking for the word before an unknown one ("in *the* north")
ARTICLES = frozenset({"the", "a", "an", "our", "my", "their", "this", "that", "these", "those", "all", "any"})
#: a fuzzy match at least this close makes an unknown word a likely misspelling of that value: asked about
LIKELY_MISSPELLING = 80.0
#: words that mean the future: with no time of its own the question covers the forward forecast months
FUTURE_WORDS = frozenset({"coming", "upcoming", "future", "forthcoming", "ahead"})
#: words that belong to a measure when that measure is asked ("what *share* of units was sold on promotion")
CONTEXT_WORDS: dict[str, tuple[str, ...]] = {"share": ("promo_share_pct",)}
#: words that would change the answer and that the rules cannot apply: always a clarification
NEGATIONS = frozenset({"not", "no", "without", "except", "excluding", "exclude", "excludes", "excluded",
                       "besides", "minus", "non", "dont", "didnt", "doesnt", "isnt", "arent", "wasnt", "werent",
                       "havent", "hasnt", "cant", "cannot", "never", "nothing", "none", "zero"})


@dataclass
class Token:
    kind: str  # metric | dim | value | model | kw | num | word | time
    value: str
    phrase: str
    extra: str = ""  # value: its dimension; metric: "weak" when a weak word
    values: tuple[str, ...] = ()  # value: several values (a name fragment matching several items)
    note: str = ""  # how the phrase was read when it was resolved ("read 'auroa' as brand Aurora")


@dataclass(frozen=True)
class UsedTerm:
    text: str
    role: str  # measure | grouping | filter | entity | time | order | comparison | number | follow-up
    meaning: str


@dataclass(frozen=True)
class Choice:
    label: str  # "brand Aurora"
    dim: str
    value: str
    question: str  # the question re-asked with this choice in place of the unknown words


@dataclass
class Clarification:
    message: str
    term: str  # the words asked about
    choices: list[Choice] = field(default_factory=list)
    ask_llm: bool = False  # with the LLM on, it is asked instead (the unknown word may be the measure)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ask_llm")
        return data


@dataclass
class Unresolved:
    """Words that could change the answer and were not understood."""

    words: list[str]
    reason: str  # unknown | number | negation | absent_country | vague
    candidates: list[Candidate] = field(default_factory=list)
    detail: str = ""


# ------------------------------------------------------------------------------------------------ resolving
def resolve_words(tokens: list[Token], index: EntityIndex, phrases: dict[str, Token],
                  stopwords: frozenset[str], corrections: dict[str, str],
                  caps: frozenset[str] = frozenset()) -> tuple[list[Token], list[Unresolved]]:
    """Replace runs of unknown words by the values they name (exact name fragments, unique close misspellings);
    return the new tokens and the words left unresolved (those that could change the answer).

    An unknown word that matches nothing is *name-like*, and asked about, when it is capitalised inside the
    question (``caps``), holds a digit, follows a filter word or a dimension/value ("sales of zorblax", "brand
    Frobnitz"), stands next to a name that resolved ("Zorblax Cola") or is close to a known value; otherwise it
    is harmless ("how *big* are the errors") and reported as ignored (``Token.extra == "ignored"``)."""
    out: list[Token] = []
    unresolved: list[Unresolved] = []
    run: list[str] = []

    before: Token | None = None

    def flush() -> None:
        if run:
            named = before.value if before is not None and before.kind == "dim" else None  # "customer Village Foods"
            risky = before is not None and (  # "brand Frobnitz", "Aurora Zorblax", "sales of zorblax"
                (before.kind == "dim" and not before.phrase.endswith("s")) or before.kind == "value"
                or (before.kind == "word" and before.value in FILTER_WORDS))
            out.extend(_resolve_run(list(run), index, phrases, corrections, unresolved, named, risky, caps))
            run.clear()

    for tok in tokens:
        if tok.kind == "word" and tok.value not in stopwords:
            if not run:
                sig = [t for t in out if not (t.kind == "word" and t.value in ARTICLES)]
                before = sig[-1] if sig else None
            run.append(tok.value)
        else:
            flush()
            out.append(tok)
    flush()
    return out, unresolved


def _resolve_run(words: list[str], index: EntityIndex, phrases: dict[str, Token], corrections: dict[str, str],
                 unresolved: list[Unresolved], named: str | None = None, risky: bool = False,
                 caps: frozenset[str] = frozenset()) -> list[Token]:
    out: list[Token] = []
    fixed: list[str] = []
    first = len(unresolved)
    pending: list[tuple[int, Unresolved]] = []  # unknown words: asked about or ignored once the run is read
    for w in words:  # unique close misspellings first: a known phrase becomes its token, a name word stays a word
        target = w if index.is_name_word(w) else index.correction(w)
        if target is None or target == w:
            fixed.append(w)
        elif target in phrases and phrases[target].kind != "word":
            corrections[w] = target
            fixed.append("\0" + target)  # resolved: a token of its own
        elif index.is_name_word(target):
            corrections[w] = target
            fixed.append(target)
        else:
            fixed.append(w)
    i = 0
    while i < len(fixed):
        w = fixed[i]
        if w.startswith("\0"):
            tok = phrases[w[1:]]
            out.append(Token(tok.kind, tok.value, tok.phrase, tok.extra, tok.values,
                             note=f"read '{words[i]}' as {w[1:]!r}"))
            i += 1
            continue
        if w in index.absent_countries:
            unresolved.append(Unresolved([words[i]], "absent_country", detail=index.absent_countries[w]))
            out.append(Token("word", words[i], words[i]))
            i += 1
            continue
        j = i
        while j < len(fixed) and index.is_name_word(fixed[j]) and index.fragment(fixed[i:j + 1]):
            j += 1
        if j == i and w in UNSUPPORTED_MEASURES:
            unresolved.append(Unresolved([words[i]], "measure"))
            out.append(Token("word", words[i], words[i]))
            i += 1
            continue
        if j == i:  # not a name word
            pending.append((len(out), Unresolved([words[i]], "unknown", index.candidates_for(words[i]))))
            out.append(Token("word", words[i], words[i]))
            i += 1
            continue
        span = fixed[i:j]
        phrase = " ".join(span)
        found = index.fragment(span)
        if named in found:  # the question says which kind of name it is
            found = {named: found[named]}
        dims = [d for d in ("item", "location", "customer") if d in found and (d != "customer" or named)]
        if len(dims) == 1 and len(found[dims[0]]) <= MAX_FRAGMENT_MATCHES:
            dim = dims[0]
            values = tuple(sorted(found[dim]))
            out.append(Token("value", values[0], phrase, dim, values,
                             note=f"{dim}s whose name contains '{phrase}'"))
        else:
            cands = [c for d, vals in found.items() for c in index.candidates_for(phrase) if c.dim == d
                     and c.value in vals]
            reason = "vague" if any(len(v) > MAX_FRAGMENT_MATCHES for v in found.values()) else "unknown"
            if reason == "unknown" and set(found) == {"customer"}:
                reason = "customer_name"
            unresolved.append(Unresolved(list(words[i:j]), reason, cands[:MAX_CHOICES]))
            out.extend(Token("word", x, x) for x in words[i:j])
        i = j
    named_run = risky or any(t.kind != "word" for t in out) or len(unresolved) > first
    for k, u in pending:
        w = u.words[0]
        close = bool(u.candidates) and u.candidates[0].score >= LIKELY_MISSPELLING and len(w) >= 4
        if named_run or w in caps or any(ch.isdigit() for ch in w) or close:
            unresolved.append(u)
        else:
            out[k] = Token("word", w, w, "ignored")
    near = [Candidate(t.extra, v, index.vocab.labels.get(t.extra, {}).get(v, v))
            for t in out if t.kind == "value" and t.values for v in t.values[:MAX_CHOICES]]
    for u in unresolved[first:]:  # "zorblax cola": offer the cola items the rest of the name matches
        if u.reason == "unknown" and not u.candidates:
            u.candidates = near[:MAX_CHOICES]
    return out


# ------------------------------------------------------------------------------------------------ reporting
def ignored_phrases(tokens: Sequence[Token]) -> list[str]:
    """The harmless words of the question, adjacent ones joined ("show me")."""
    out: list[str] = []
    last = -2
    for i, tok in enumerate(tokens):
        if tok.kind == "word" and (tok.value in FILLER or tok.extra == "ignored"):
            if last == i - 1 and out:
                out[-1] += " " + tok.value
            else:
                out.append(tok.value)
            last = i
    return out


def leftover(tokens: Sequence[Token], consumed: set[int], unresolved: list[Unresolved]) -> list[Unresolved]:
    """Add the numbers nothing used and the negations to ``unresolved``."""
    out = list(unresolved)
    for i, tok in enumerate(tokens):
        if tok.kind == "num" and i not in consumed:
            out.append(Unresolved([tok.value], "number"))
        elif tok.kind == "word" and tok.value in NEGATIONS:
            out.append(Unresolved([tok.value], "negation"))
    return out


def clarify(question: str, problem: Unresolved, countries: Sequence[str]) -> Clarification:
    """The question to ask back about ``problem``, with choices that re-ask the question with each match."""
    term = " ".join(problem.words)
    if problem.reason == "negation":
        return Clarification(f"I cannot leave values out yet ('{term}'). Ask for what to include instead, or "
                             "break the figure down (e.g. 'by category') and compare.", term)
    if problem.reason == "number":
        if re.fullmatch(r"(19|20)\d\d", term):
            msg = (f"I read one time period per question, and '{term}' would be a second one. Ask e.g. "
                   f"'revenue by year between 2025 and 2026', or one period at a time.")
        else:
            msg = f"I could not tell what the number '{term}' refers to (top N, a lag, a year?)."
        return Clarification(msg, term)
    if problem.reason == "measure":
        known = ", ".join(m.label for m in METRICS.values())
        return Clarification(f"I have no measure for '{term}'. Measures I can compute: {known}.", term)
    if problem.reason == "absent_country":
        have = ", ".join(countries) or "none"
        return Clarification(f"There are no locations in {problem.detail} in the data (countries: {have}).", term)
    choices = [Choice(c.describe(), c.dim, c.value, replace_words(question, problem.words, c.phrase()))
               for c in problem.candidates]
    if problem.reason == "vague":
        head = f"'{term}' matches too many names to filter on."
    elif problem.reason == "customer_name":
        head = f"'{term}' is not a location, item or other value; it is part of customer names."
    else:
        head = f"I do not know '{term}'."
    if choices:
        options = " or ".join(c.label for c in choices)
        return Clarification(f"{head} Did you mean {options}?", term, choices)
    return Clarification(f"{head} Nothing in the data is close to it (items, brands, categories, locations, "
                         "countries, customers, models); rephrase without it or name a known value.", term)


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def replace_words(question: str, words: Sequence[str], replacement: str) -> str:
    """``question`` with the first run of ``words`` (compared normalised) replaced by ``replacement``; the
    replacement is appended when the words cannot be found."""
    spans = [(m.start(), m.end(), normalize(m.group())) for m in _WORD.finditer(question)]
    n = len(words)
    lead = replacement.split()[0].lower() if replacement else ""
    for k in range(len(spans) - n + 1):
        if [s[2] for s in spans[k:k + n]] == list(words):
            start = spans[k - 1][0] if k > 0 and spans[k - 1][2] == lead else spans[k][0]  # no "customer customer"
            return question[:start] + replacement + question[spans[k + n - 1][1]:]
    return f"{question.rstrip(' ?')} {replacement}"
