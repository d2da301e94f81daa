"""The optional LLM provider over real HTTP to a tiny local fake OpenAI-compatible server (no network): the
request it sends, its SQL going through the same guard, and failure handling. Configuration from env vars."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lakecast.chat.config import ChatSettings, chat_settings_from_env
from lakecast.chat.executor import ChatExecutor
from lakecast.chat.llm import LLMClient, extract_sql
from lakecast.chat.retrieval import MemoryStore
from lakecast.chat.service import ChatRefused, ChatService


class FakeLLM:
    """Records requests; answers with ``self.reply`` as the assistant message content."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = "NO_SQL"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": outer.reply}}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join(timeout=5)


def _service(executor: ChatExecutor, store: MemoryStore, url: str) -> ChatService:
    cfg = ChatSettings(llm_enabled=True, llm_base_url=url, llm_model="tiny-sql", llm_api_key="sk-test",
                       llm_timeout_seconds=5)
    return ChatService(executor, cfg, retriever=store, llm=LLMClient(cfg))


def test_settings_from_env() -> None:
    cfg = chat_settings_from_env({"LAKECAST_CHAT__LLM_ENABLED": "true", "LAKECAST_CHAT__LLM_BASE_URL": "http://x/v1",
                                  "LAKECAST_CHAT__LLM_MODEL": "m", "LAKECAST_CHAT__MAX_ROWS": "50", "OTHER": "1"})
    assert cfg.llm_enabled and cfg.llm_base_url == "http://x/v1" and cfg.llm_model == "m" and cfg.max_rows == 50
    assert chat_settings_from_env({}).llm_enabled is False  # off by default
    with pytest.raises(ValueError, match="unknown chat setting"):
        chat_settings_from_env({"LAKECAST_CHAT__LLM_MODLE": "m"})
    with pytest.raises(ValueError, match="LLM_BASE_URL"):
        LLMClient(ChatSettings(llm_enabled=True))


def test_extract_sql() -> None:
    assert extract_sql("```sql\nSELECT 1\n```") == "SELECT 1"
    assert extract_sql("Here:\n```\nSELECT 2\n```\nthanks") == "SELECT 2"
    assert extract_sql("SELECT 3") == "SELECT 3"
    assert extract_sql("NO_SQL") is None


@pytest.mark.spark
@pytest.mark.integration
def test_llm_sql_is_guarded_and_run(fake_llm: FakeLLM, chat_executor: ChatExecutor, memory_store: MemoryStore,
                                    engine: Any) -> None:
    service = _service(chat_executor, memory_store, fake_llm.url)
    fake_llm.reply = ("```sql\nSELECT location_id, SUM(revenue) AS revenue FROM gold.agg_loc_week "
                      "GROUP BY location_id ORDER BY location_id\n```")
    reply = service.ask("what came through the tills of each shop?", username="u")
    assert reply.mode == "llm" and reply.sql is not None and reply.sql.endswith("LIMIT 1000")
    expected = engine.query("SELECT location_id, SUM(revenue) AS revenue FROM gold.agg_loc_week "
                            "GROUP BY location_id ORDER BY location_id")
    assert reply.rows == [[r["location_id"], pytest.approx(r["revenue"])] for r in expected]
    sent = fake_llm.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "tiny-sql" and sent["body"]["temperature"] == 0
    system, user = sent["body"]["messages"]
    assert user == {"role": "user", "content": "what came through the tills of each shop?"}
    assert "gold." in system["content"] and "SQL:" in system["content"]  # retrieved schema docs and examples
    # questions the rules understand never reach the LLM
    before = len(fake_llm.requests)
    assert service.ask("units sold by region in 2025", username="u").mode == "rules"
    assert len(fake_llm.requests) == before


@pytest.mark.spark
@pytest.mark.integration
@pytest.mark.parametrize("bad", [
    "DROP TABLE gold.dim_item",
    "SELECT * FROM gold.dim_item; DELETE FROM gold.dim_item",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM silver.item",
    "```sql\nSELECT * FROM gold.dim_item /* */; ATTACH 'x.db'\n```",
    "SELECT password_hash FROM users",
])
def test_llm_sql_goes_through_the_same_guard(fake_llm: FakeLLM, chat_executor: ChatExecutor,
                                             memory_store: MemoryStore, bad: str) -> None:
    service = _service(chat_executor, memory_store, fake_llm.url)
    fake_llm.reply = bad
    with pytest.raises(ChatRefused, match=r"^refused:"):
        service.ask("tell me something interesting about the tills", username="u")


@pytest.mark.spark
@pytest.mark.integration
def test_llm_down_or_declining_is_a_clarification(fake_llm: FakeLLM, chat_executor: ChatExecutor,
                                                  memory_store: MemoryStore) -> None:
    fake_llm.reply = "NO_SQL"
    reply = _service(chat_executor, memory_store, fake_llm.url).ask("tell me about the tills", username="u")
    assert reply.mode == "clarify" and reply.sql is None
    down = _service(chat_executor, memory_store, "http://127.0.0.1:9/v1")  # nothing listens on port 9
    reply = down.ask("tell me about the tills", username="u")
    assert reply.mode == "clarify" and "did not answer" in reply.answer
