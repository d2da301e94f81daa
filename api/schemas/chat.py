"""Request/response models of the NL chat endpoints (``POST /chat``, ``GET /chat/briefing/{dfu_id}``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FilterValue = str | int | list[str | int]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000, description="The question, or one read-only SELECT")
    filters: dict[str, FilterValue] | None = Field(
        None, description="Context from the UI, e.g. {\"category\": \"Beverages\", \"model\": \"theta\", \"lag\": 1}; "
        "the question's own words win", max_length=20)
    conversation_id: str | None = Field(None, max_length=64, description="From a previous answer, for follow-ups")


class ChartSpec(BaseModel):
    type: Literal["line", "bar", "table"]
    x: str | None = None
    y: str | None = None
    series: str | None = None
    title: str | None = None


class ChatResponse(BaseModel):
    answer: str = Field(description="One or two sentences; a clarification when sql is null")
    sql: str | None = Field(description="The SQL that ran (Trino dialect, after the guard); null if none ran")
    columns: list[str]
    rows: list[list[Any]] = Field(description="Result rows (dates as ISO strings), at most the guard's LIMIT")
    chart: ChartSpec
    conversation_id: str
    did_you_mean: list[str] = Field(default_factory=list, description="Known words close to unknown ones")
    notes: list[str] = Field(default_factory=list, description="Assumptions made (defaults, corrections)")
    mode: Literal["rules", "sql", "llm", "clarify"]


class ChatRefusal(BaseModel):
    """400 body when the question or its SQL is refused for safety."""

    detail: str
    refused: bool = True
    conversation_id: str | None = None


class BriefingSection(BaseModel):
    title: str
    text: str
    values: dict[str, Any]


class BriefingResponse(BaseModel):
    dfu_id: str
    item_id: str
    location_id: str
    headline: str
    summary: str
    sections: list[BriefingSection]
    sources: list[str] = Field(description="Gold tables the numbers come from")
