"""Entity resolution over the served dimension values: which item, location, customer, brand, country ... a word
of a question names, by exact name fragments and fuzzy matching (rapidfuzz), with the closest matches kept for a
clarifying question when nothing is certain.

Built from a :class:`~lakecast.chat.vocab.Vocabulary` (one per dimension snapshot: the chat service rebuilds both
when a dimension table's snapshot changes). Two lookups:

* ``fragment(words)``: the items / locations / customers whose *name* contains every word ("cola" -> the
  cola items, "hamburg" -> the Hamburg locations), exact words only.
* ``closest(word)``: the known words and values closest to a word the parser does not know (typos, invented
  names), scored 0..100 by :func:`rapidfuzz.fuzz.ratio`; a unique match at or above ``AUTO_SCORE`` is taken as
  meant, weaker ones become the choices of a clarification.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from lakecast.chat.vocab import COUNTRY_NAMES, Vocabulary, normalize

#: a unique fuzzy match this close (0..100) is read as the word meant, and reported as a correction
AUTO_SCORE = 85.0
#: matches at least this close are offered as clarification choices
CHOICE_SCORE = 60.0
#: a name fragment matching more entities than this is too vague to filter on: the chat asks instead
MAX_FRAGMENT_MATCHES = 50
MAX_CHOICES = 5
#: the dimensions whose names are searched word by word, in the order a fragment is read (an item name first;
#: a city is a location filter before it is a customer's name)
NAMED_DIMENSIONS = ("item", "location", "customer")
#: words of names that say nothing about which entity is meant
_GENERIC_NAME_WORDS = frozenset({"store", "dc", "and", "the", "of", "pcs", "pack", "zero"})
#: how a choice is written back into a question so that it reads unambiguously
_DIM_WORD = {"item": "item", "location": "location", "customer": "customer", "brand": "brand",
             "category": "category", "supplier": "supplier", "region": "region", "segment": "segment",
             "cluster": "cluster", "abc_class": "abc class", "xyz_class": "xyz class", "model": "model",
             "location_type": "", "country": ""}


@dataclass(frozen=True)
class Candidate:
    """One value a word may mean: its dimension, canonical value, display label and match score."""

    dim: str
    value: str
    label: str
    score: float = 100.0

    def describe(self) -> str:
        if self.dim in ("item", "location", "customer") and self.label and self.label != self.value:
            return f"{self.dim} {self.value} ({self.label})"
        if self.dim == "model":
            return f"model {self.value}"
        return f"{self.dim.replace('_', ' ')} {self.label or self.value}"

    def phrase(self) -> str:
        """The words that name this value in a re-asked question ("brand Aurora", "item I000001", "Germany")."""
        if self.dim in ("item", "location", "customer"):
            return f"{self.dim} {self.value}"
        if self.dim == "country":
            return self.label or self.value
        if self.dim == "location_type":
            return "stores" if self.value.lower() == "store" else "DCs"
        word = _DIM_WORD.get(self.dim, self.dim)
        return f"{word} {self.label or self.value}".strip()


@dataclass
class EntityIndex:
    """Name words and known phrases of one vocabulary snapshot, for exact-fragment and fuzzy lookup."""

    vocab: Vocabulary
    known_words: frozenset[str] = frozenset()  # parser words (metrics, dimensions, keywords) also searched fuzzily
    name_words: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # word -> dim -> values
    phrases: dict[str, list[Candidate]] = field(default_factory=dict)  # normalised phrase -> values it names
    absent_countries: dict[str, str] = field(default_factory=dict)  # phrase -> country name not in the data
    _choices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        labels = self.vocab.labels
        for dim in NAMED_DIMENSIONS:
            for value, name in labels.get(dim, {}).items():
                for w in set(normalize(name).split()):
                    if len(w) >= 3 and not w.isdigit() and w not in _GENERIC_NAME_WORDS:
                        self.name_words.setdefault(w, {}).setdefault(dim, set()).add(value)
        for dim, table in self.vocab.values.items():
            for phrase, value in table.items():
                label = labels.get(dim, {}).get(value, value)
                cands = self.phrases.setdefault(phrase, [])
                if all((c.dim, c.value) != (dim, value) for c in cands):
                    cands.append(Candidate(dim, value, label))
        for phrase, mid in self.vocab.models.items():
            self.phrases.setdefault(phrase, []).append(Candidate("model", mid, mid))
        present = set(self.vocab.values.get("country", {}).values())
        for code, names in COUNTRY_NAMES.items():
            if code not in present:
                for n in names:
                    self.absent_countries[normalize(n)] = names[0]
        self._choices = sorted(set(self.name_words) | set(self.phrases) | set(self.known_words))

    # ------------------------------------------------------------------------------------------ lookups
    def is_name_word(self, word: str) -> bool:
        return word in self.name_words

    def fragment(self, words: Sequence[str]) -> dict[str, set[str]]:
        """Return, per named dimension, the values whose name contains every word of ``words`` (exact words)."""
        out: dict[str, set[str]] = {}
        for dim in NAMED_DIMENSIONS:
            sets = [self.name_words.get(w, {}).get(dim, set()) for w in words]
            common = set.intersection(*sets) if sets else set()
            if common:
                out[dim] = common
        return out

    def closest(self, word: str, *, limit: int = 8) -> list[tuple[str, float]]:
        """Return the known words/phrases closest to ``word`` (score >= CHOICE_SCORE), best first."""
        hits = process.extract(word, self._choices, scorer=fuzz.ratio, limit=limit, score_cutoff=CHOICE_SCORE)
        return [(h[0], float(h[1])) for h in hits]

    def correction(self, word: str) -> str | None:
        """Return the one known word or phrase ``word`` is a misspelling of, or None when none is close enough or
        two different ones are equally close."""
        if len(word) < 4 or any(ch.isdigit() for ch in word):
            return None
        hits = self.closest(word, limit=3)
        if not hits or hits[0][1] < AUTO_SCORE:
            return None
        if len(hits) > 1 and hits[1][1] >= hits[0][1]:
            return None  # a tie: ask
        return hits[0][0]

    def candidates_for(self, text: str) -> list[Candidate]:
        """Return the values ``text`` may name, best first: exact phrases, name fragments, then fuzzy matches."""
        words = text.split()
        out: list[Candidate] = []
        out += self.phrases.get(text, [])
        for dim, values in self.fragment(words).items():
            out += [self._entity(dim, v) for v in sorted(values)[:MAX_CHOICES]]
        if not out:
            scored: list[tuple[float, Candidate]] = []
            for w in words:
                for hit, score in self.closest(w):
                    scored += [(score, c) for c in self._expand(hit, score)]
            if len(words) > 1:  # the whole run against whole names ("iris colla" ~ "iris cola 330ml")
                for dim in NAMED_DIMENSIONS:
                    names = self.vocab.labels.get(dim, {})
                    norm = {v: normalize(n) for v, n in names.items()}
                    matches = process.extract(text, norm, scorer=fuzz.token_set_ratio, limit=3,
                                              score_cutoff=CHOICE_SCORE)
                    for _, score, key in matches:
                        scored.append((float(score), self._entity(dim, str(key), float(score))))
            scored.sort(key=lambda sc: -sc[0])
            out = [c for _, c in scored]
        seen: set[tuple[str, str]] = set()
        unique = []
        for c in out:
            if (c.dim, c.value) not in seen:
                seen.add((c.dim, c.value))
                unique.append(c)
        return unique[:MAX_CHOICES]

    def _entity(self, dim: str, value: str, score: float = 100.0) -> Candidate:
        return Candidate(dim, value, self.vocab.labels.get(dim, {}).get(value, value), score)

    def _expand(self, hit: str, score: float) -> Iterable[Candidate]:
        """The values a fuzzy hit stands for: a phrase's values, or the entities whose names hold the word."""
        if hit in self.phrases:
            yield from (Candidate(c.dim, c.value, c.label, score) for c in self.phrases[hit])
        for dim, values in self.name_words.get(hit, {}).items():
            for v in sorted(values)[:3]:
                yield self._entity(dim, v, score)
