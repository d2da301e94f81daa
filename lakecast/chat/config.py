"""Chat settings: limits of the SQL guard, the embedding size and the optional LLM provider (off by default).

A plain pydantic model read from ``LAKECAST_CHAT__*`` environment variables (e.g. ``LAKECAST_CHAT__LLM_BASE_URL``)
so it can later be nested into ``lakecast.settings.Settings`` as ``chat:`` without changing a field name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field

ENV_PREFIX = "LAKECAST_CHAT__"


class ChatSettings(BaseModel):
    """Everything the chat layer needs beyond the serving engine and the app database."""

    max_rows: int = Field(default=1000, ge=1, le=100_000, description="LIMIT enforced on every chat query")
    statement_timeout_seconds: float = Field(default=10.0, gt=0, le=600, description="per-query timeout")
    max_question_chars: int = Field(default=1000, ge=10, description="longer questions are refused")
    max_sql_chars: int = Field(default=20_000, ge=100, description="longer SQL is refused before parsing")
    max_joins: int = Field(default=6, ge=0, description="more JOINs than this are refused (runaway queries)")
    embedding_dim: int = Field(default=512, ge=64, le=4096, description="hashed TF-IDF vector size (pgvector column)")
    retrieval_k: int = Field(default=3, ge=1, le=20, description="nearest examples used to guide a parse")
    retrieval_min_similarity: float = Field(default=
        0.30, ge=0, le=1, description="cosine below which a nearest example is not trusted to fill a slot"
    )
    default_sales_months: int = Field(default=12, ge=1, description="window of sales questions that name no time")
    conversation_ttl_hours: int = Field(default=24, ge=1, description="follow-ups older than this start afresh")
    llm_enabled: bool = Field(default=False, description="ask an OpenAI-compatible endpoint when rules cannot parse")
    llm_base_url: str = Field(default="", description="e.g. http://127.0.0.1:11434/v1 (the /chat/completions parent)")
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)


def _env_fields(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``{field: raw value}`` for every ``LAKECAST_CHAT__<FIELD>`` variable (case-insensitive)."""
    known = set(ChatSettings.model_fields)
    out: dict[str, str] = {}
    for key, value in env.items():
        if key.upper().startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):].lower()
            if name not in known:
                raise ValueError(f"unknown chat setting {key}; known: {', '.join(sorted(known))}")
            out[name] = value
    return out


def chat_settings_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> ChatSettings:
    """Build ChatSettings from ``LAKECAST_CHAT__*`` variables (``env`` defaults to os.environ), then ``overrides``."""
    values: dict[str, object] = dict(_env_fields(os.environ if env is None else env))
    values.update(overrides)
    return ChatSettings.model_validate(values)
