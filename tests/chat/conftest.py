"""Chat fixtures: the sandboxed executor and a chat service over the session pipeline's tables, a throwaway
embedded Postgres (pgvector) and an API client whose app reads the pipeline's warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lakecast.chat.config import ChatSettings
from lakecast.chat.executor import ChatExecutor, make_executor
from lakecast.chat.retrieval import MemoryStore
from lakecast.chat.service import ChatService
from lakecast.settings import PostgresSettings, Settings


@pytest.fixture(scope="session")
def chat_executor(pipeline: Any) -> ChatExecutor:
    return make_executor(pipeline.settings, timeout_seconds=10.0)


@pytest.fixture(scope="session")
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def chat_service(chat_executor: ChatExecutor, memory_store: MemoryStore) -> ChatService:
    """Rules + in-memory retrieval, no LLM, no Postgres: what runs offline with nothing configured."""
    return ChatService(chat_executor, ChatSettings(), retriever=memory_store)


@pytest.fixture(scope="session")
def chat_pg() -> Iterator[tuple[Settings, str]]:
    from lakecast.appdb.testing import temporary_server

    with temporary_server() as pair:
        yield pair


@pytest.fixture(scope="session")
def chat_app_settings(pipeline: Any, chat_pg: tuple[Settings, str]) -> Settings:
    """The pipeline's warehouse + the throwaway Postgres (as an external URL)."""
    _, url = chat_pg
    return pipeline.settings.model_copy(update={"postgres": PostgresSettings(mode="external", url=url)})


@pytest.fixture(scope="session")
def chat_client(chat_app_settings: Settings) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(chat_app_settings, seed_demo_users=True)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def chat_headers(chat_client: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"anon": {}}
    for user in ("viewer", "planner", "admin"):
        r = chat_client.post("/auth/token", data={"username": user, "password": "lakecast"})
        assert r.status_code == 200, r.text
        out[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out
