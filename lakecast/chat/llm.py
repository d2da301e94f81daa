"""Optional LLM provider: any OpenAI-compatible ``/chat/completions`` endpoint (off by default).

Used only when the rule parser cannot tell what a question asks. The prompt carries the nearest schema docs,
metric definitions and example question -> SQL pairs from retrieval; the reply's SQL is treated as untrusted
input and goes through exactly the same guard as everything else. Plain ``urllib`` (no extra dependency);
no network call happens unless ``llm_enabled`` and ``llm_base_url`` are set.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence

from lakecast.chat.config import ChatSettings
from lakecast.chat.retrieval import Document

SYSTEM_PROMPT = """You translate a demand planner's question into ONE read-only SQL SELECT (Trino dialect).
Use only these tables (always written gold.<table>) and columns; metrics are pooled over rows:
{context}
Rules: one SELECT statement, no comments, no DDL/DML, no functions that read files or the network. Reply with
the SQL only, in a ```sql code block. If the question cannot be answered from these tables, reply NO_SQL.
Examples:
{examples}"""

_FENCE = re.compile(r"```(?:sql)?\s*(.*?)```", re.S | re.I)


class LLMError(Exception):
    """The provider could not be reached or answered nonsense; the message is safe to show."""


def build_messages(question: str, context: Sequence[Document], examples: Sequence[Document]) -> list[dict[str, str]]:
    ctx = "\n".join(f"- {d.title}: {d.body}" for d in context)
    exs = "\n".join(f"Q: {d.title}\nSQL: {d.sql}" for d in examples if d.sql)
    return [{"role": "system", "content": SYSTEM_PROMPT.format(context=ctx, examples=exs)},
            {"role": "user", "content": question}]


def extract_sql(content: str) -> str | None:
    """Return the SQL of a reply (a fenced block if present, else the whole text); None for NO_SQL."""
    text = content.strip()
    if not text or text.upper().startswith("NO_SQL"):
        return None
    m = _FENCE.search(text)
    return (m.group(1) if m else text).strip() or None


class LLMClient:
    """Calls ``{llm_base_url}/chat/completions`` with ``llm_model`` and ``llm_api_key`` (Bearer)."""

    def __init__(self, cfg: ChatSettings):
        if not cfg.llm_base_url or not cfg.llm_model:
            raise ValueError("LLM enabled but LAKECAST_CHAT__LLM_BASE_URL / LAKECAST_CHAT__LLM_MODEL are not set")
        self.cfg = cfg
        self.url = cfg.llm_base_url.rstrip("/") + "/chat/completions"

    def complete_sql(self, question: str, context: Sequence[Document], examples: Sequence[Document]) -> str | None:
        body = json.dumps({"model": self.cfg.llm_model, "temperature": 0,
                           "messages": build_messages(question, context, examples)}).encode()
        headers = {"Content-Type": "application/json"}
        if self.cfg.llm_api_key:
            headers["Authorization"] = f"Bearer {self.cfg.llm_api_key}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.cfg.llm_timeout_seconds) as resp:
                payload = json.loads(resp.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise LLMError(f"the LLM provider did not answer ({type(exc).__name__})") from None
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LLMError("the LLM provider's reply has no choices[0].message.content") from None
        return extract_sql(str(content))
