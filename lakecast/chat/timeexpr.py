"""Time expressions in questions -> an inclusive range of month starts.

"Now" is the **anchor**: the last month with actuals in ``gold.fact_sales_monthly`` (not the wall clock), so
"last 6 months" means the six latest months of data and answers do not drift as the calendar moves on.

Rules (documented in docs/chat.md): "last N months" = the N months ending at the anchor; "last month" = the
anchor month; "last quarter" = the latest *complete* calendar quarter at or before the anchor; "this quarter"
= the anchor's quarter up to the anchor; "YTD"/"this year" = January of the anchor's year to the anchor;
"last year" = the previous calendar year; "Q4" without a year = the latest Q4 starting at or before the anchor;
"next N months" = the N months after the anchor (forecasts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lakecast.lag import add_months

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty four": 24, "a": 1}

_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
       r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_YEAR = r"(?:19|20)\d{2}"
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
# one month or one year: "march 2024", "mar", "2024-03", "2024"
_SPEC = rf"(?:{_MON}\s+{_YEAR}|{_YEAR}-\d{{1,2}}|{_MON}|{_YEAR})"


@dataclass(frozen=True)
class TimeRange:
    """Inclusive month range ``start..end`` (first days of months) and how it was said."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def end_exclusive(self) -> dt.date:
        return add_months(self.end, 1)

    def describe(self) -> str:
        if self.start == self.end:
            return f"{self.label} ({self.start:%Y-%m})"
        return f"{self.label} ({self.start:%Y-%m}..{self.end:%Y-%m})"


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _quarter_start(month: dt.date) -> dt.date:
    return dt.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def _spec_range(text: str, anchor: dt.date, default_year: int | None = None) -> tuple[dt.date, dt.date]:
    """Return the (first, last) month of one spec: a month (with or without year), YYYY-MM or a year."""
    text = text.strip()
    if re.fullmatch(_YEAR, text):
        y = int(text)
        return dt.date(y, 1, 1), dt.date(y, 12, 1)
    m = re.fullmatch(rf"({_YEAR})-(\d{{1,2}})", text)
    if m:
        month = dt.date(int(m.group(1)), int(m.group(2)), 1)
        return month, month
    m = re.fullmatch(rf"({_MON})(?:\s+({_YEAR}))?", text)
    if not m:
        raise ValueError(f"not a month: {text!r}")
    mon = _MONTHS[m.group(1)]
    if m.group(2):
        year = int(m.group(2))
    elif default_year is not None:
        year = default_year
    else:  # the latest such month at or before the anchor
        year = anchor.year if mon <= anchor.month else anchor.year - 1
    month = dt.date(year, mon, 1)
    return month, month


def _year_of(text: str) -> int | None:
    m = re.search(_YEAR, text)
    return int(m.group(0)) if m else None


def _between(m: re.Match[str], anchor: dt.date) -> TimeRange:
    a, b = m.group("a"), m.group("b")
    year_b = _year_of(b)
    start, _ = _spec_range(a, anchor, default_year=year_b if _year_of(a) is None else None)
    _, end = _spec_range(b, anchor, default_year=start.year if year_b is None else None)
    if end < start:
        raise ValueError(f"the range {a!r} to {b!r} ends before it starts")
    return TimeRange(start, end, m.group(0).strip())


def _quarter(m: re.Match[str], anchor: dt.date) -> TimeRange:
    q = int(m.group("q") or m.group("q2"))
    year_text = m.group("y") or m.group("y2")
    if year_text:
        year = int(year_text)
    else:
        year = anchor.year if dt.date(anchor.year, 3 * q - 2, 1) <= anchor else anchor.year - 1
    start = dt.date(year, 3 * q - 2, 1)
    return TimeRange(start, add_months(start, 2), m.group(0).strip())


def _last_quarter(anchor: dt.date) -> TimeRange:
    q_start = _quarter_start(anchor)
    complete = add_months(q_start, 2) <= anchor
    start = q_start if complete else add_months(q_start, -3)
    return TimeRange(start, add_months(start, 2), "last quarter")


def _half(m: re.Match[str], anchor: dt.date) -> TimeRange:
    h = int(m.group("h"))
    year = int(m.group("y")) if m.group("y") else anchor.year
    start = dt.date(year, 1 if h == 1 else 7, 1)
    return TimeRange(start, add_months(start, 5), m.group(0).strip())


_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(rf"\b(?:between|from)\s+(?P<a>{_SPEC})\s+(?:and|to|until|till|through|thru)\s+(?P<b>{_SPEC})\b"),
     _between),
    (re.compile(rf"\b(?P<a>{_MON}\s+{_YEAR}|{_YEAR}-\d{{1,2}})\s+(?:to|until|till|through|thru|-)\s+"
                rf"(?P<b>{_MON}\s+{_YEAR}|{_YEAR}-\d{{1,2}}|{_MON})\b"), _between),
    (re.compile(rf"\bsince\s+(?P<a>{_SPEC})\b"),
     lambda m, a: TimeRange(_spec_range(m.group("a"), a)[0], a, m.group(0).strip())),
    (re.compile(rf"\b(?:in\s+the\s+|over\s+the\s+|for\s+the\s+|the\s+)?(?:last|past|previous|trailing|recent)\s+"
                rf"{_NUM}\s+months?\b"),
     lambda m, a: TimeRange(add_months(a, -_num(m.group(1)) + 1), a, f"last {_num(m.group(1))} months")),
    (re.compile(rf"\b(?:in\s+the\s+|over\s+the\s+|for\s+the\s+|the\s+)?(?:last|past|previous|trailing)\s+"
                rf"{_NUM}\s+years?\b"),
     lambda m, a: TimeRange(add_months(a, -12 * _num(m.group(1)) + 1), a, f"last {_num(m.group(1))} years")),
    (re.compile(rf"\b(?:(?:in|over|for)\s+)?(?:the\s+)?(?:next|coming|upcoming|following)\s+{_NUM}\s+months?\b"),
     lambda m, a: TimeRange(add_months(a, 1), add_months(a, _num(m.group(1))), f"next {_num(m.group(1))} months")),
    (re.compile(r"\bnext\s+month\b"), lambda m, a: TimeRange(add_months(a, 1), add_months(a, 1), "next month")),
    (re.compile(r"\bnext\s+quarter\b"),
     lambda m, a: TimeRange(add_months(_quarter_start(a), 3), add_months(_quarter_start(a), 5), "next quarter")),
    (re.compile(r"\b(?:last|previous|past)\s+quarter\b"), lambda m, a: _last_quarter(a)),
    (re.compile(r"\b(?:this|current)\s+quarter\b|\bqtd\b|\bquarter\s+to\s+date\b"),
     lambda m, a: TimeRange(_quarter_start(a), a, "this quarter")),
    (re.compile(rf"\b(?:q(?P<q>[1-4])(?:\s+|-|/)?(?P<y>{_YEAR})?|(?P<y2>{_YEAR})(?:\s+|-|/)?q(?P<q2>[1-4]))\b"),
     _quarter),
    (re.compile(rf"\b(?:h(?P<h>[12])(?:\s+|-)?(?P<y>{_YEAR})?)\b"), _half),
    (re.compile(r"\b(?:ytd|year\s+to\s+date|this\s+year|current\s+year|so\s+far\s+this\s+year)\b"),
     lambda m, a: TimeRange(dt.date(a.year, 1, 1), a, "year to date")),
    (re.compile(r"\b(?:last|previous|prior)\s+year\b"),
     lambda m, a: TimeRange(dt.date(a.year - 1, 1, 1), dt.date(a.year - 1, 12, 1), "last year")),
    (re.compile(r"\b(?:last|previous|latest|most\s+recent)\s+month\b|\bthis\s+month\b"),
     lambda m, a: TimeRange(a, a, "last month")),
    (re.compile(rf"\b(?P<mon>{_MON})\s+(?P<y>{_YEAR})\b|\b(?P<ym>{_YEAR}-\d{{1,2}})\b"),
     lambda m, a: TimeRange(*_spec_range(m.group(0), a), m.group(0).strip())),
    (re.compile(rf"\b(?:in|during|for|of)\s+(?P<mon>{_MON})\b"),
     lambda m, a: TimeRange(*_spec_range(m.group("mon"), a), m.group("mon"))),
    (re.compile(rf"\b(?P<y>{_YEAR})\b"), lambda m, a: TimeRange(*_spec_range(m.group("y"), a), m.group("y"))),
]


def find_time(text: str, anchor: dt.date) -> tuple[TimeRange | None, tuple[int, int] | None]:
    """Return the first time expression in ``text`` (lower case) as a range, and its span; (None, None) if none.

    Raises ValueError for an impossible range (e.g. month 13, a range that ends before it starts)."""
    for pattern, build in _RULES:
        m = pattern.search(text)
        if m:
            return build(m, anchor), m.span()  # type: ignore[operator]
    return None, None
