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


class UsedTerm(BaseModel):
    text: str = Field(description="The words of the question (normalised)")
    role: Literal["measure", "grouping", "filter", "entity", "time", "order", "comparison", "number", "follow-up"]
    meaning: str = Field(description="What they were read as, e.g. 'country DE' or 'by region'")


class ClarificationChoice(BaseModel):
    label: str = Field(description="The match, e.g. 'brand Aurora' or 'item I000001 (Aurora Cola 1.5L)'")
    dim: str = Field(description="Its dimension (item, location, customer, brand, category, country, model ...)")
    value: str = Field(description="Its canonical value")
    question: str = Field(description="The question re-asked with this choice in place of the unknown words")


class Clarification(BaseModel):
    message: str
    term: str = Field(description="The words the chat did not understand")
    choices: list[ClarificationChoice] = Field(default_factory=list, description="Closest matches, best first")


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
    used: list[UsedTerm] = Field(default_factory=list, description="Every phrase of the question that shaped the "
                                 "query, with its role")
    ignored: list[str] = Field(default_factory=list, description="Harmless words left out ('please', 'show me'); "
                               "shown with the answer")
    clarification: Clarification | None = Field(None, description="Set (with mode 'clarify', sql null) when a word "
                                                "that could change the answer was not understood: no number is "
                                                "given, the choices re-ask the question")


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
