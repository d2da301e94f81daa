"""Chat settings: limits of the SQL guard, the embedding size and the optional LLM provider (off by default).

A plain pydantic model read from ``LAKECAST_CHAT__*`` environment variables (e.g. ``LAKECAST_CHAT__LLM_BASE_URL``)
and nested into ``lakecast.settings.Settings`` as ``chat:`` (conf/*.yaml or the same env vars).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from lakecast.settings import ChatSettings  # defined with the other settings sections

ENV_PREFIX = "LAKECAST_CHAT__"


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
