"""The parsed meaning of a question: what to measure, how to slice it, which rows, which order.

An ``Intent`` is plain data (JSON round-trips for conversation follow-ups); the compiler turns it into SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from lakecast.chat.timeexpr import TimeRange

Order = Literal["top", "bottom", "best", "worst"]


@dataclass
class Intent:
    metrics: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # dimension -> values (IN)
    time: TimeRange | None = None
    models: list[str] = field(default_factory=list)  # model_id filter; 2+ = a comparison
    lags: list[int] = field(default_factory=list)
    execution_lag: bool = False
    scenario: str | None = None  # forecast source: baseline | final
    top_n: int | None = None
    order: Order | None = None
    source: str | None = None  # resolved by the compiler
    notes: list[str] = field(default_factory=list)  # assumptions to show the user

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.time is not None:
            data["time"] = {"start": self.time.start.isoformat(), "end": self.time.end.isoformat(),
                            "label": self.time.label}
        data.pop("notes")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        data = dict(data)
        t = data.pop("time", None)
        intent = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if t:
            intent.time = TimeRange(dt.date.fromisoformat(t["start"]), dt.date.fromisoformat(t["end"]), t["label"])
        return intent

    def is_empty(self) -> bool:
        return not (self.metrics or self.group_by or self.filters or self.time or self.models or self.lags
                    or self.top_n or self.execution_lag)
