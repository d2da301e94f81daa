"""Conversation memory for follow-ups: the last intent per conversation, owned by one user, plus a log of turns.

``PgConversations`` keeps them in the app database (tables from migration 0003); ``MemoryConversations`` is the
in-process twin for library use without Postgres.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from lakecast.chat.intent import Intent


class UnknownConversation(LookupError):
    """No such conversation for this user (or it expired)."""


@dataclass(frozen=True)
class Turn:
    question: str
    sql: str | None
    refused: bool
    answer: str | None


class ConversationStore(Protocol):
    def new_id(self, username: str) -> str: ...

    def last_intent(self, conversation_id: str, username: str) -> Intent | None: ...

    def record(self, conversation_id: str, username: str, intent: Intent | None, turn: Turn) -> None: ...


def _check_uuid(conversation_id: str) -> str:
    try:
        return str(uuid.UUID(conversation_id))
    except (ValueError, AttributeError, TypeError):
        raise UnknownConversation(f"conversation_id {conversation_id!r} is not a UUID") from None


class MemoryConversations:
    def __init__(self, ttl_hours: int = 24):
        self.ttl = dt.timedelta(hours=ttl_hours)
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}

    def new_id(self, username: str) -> str:
        cid = str(uuid.uuid4())
        with self._lock:
            self._data[cid] = {"user": username, "intent": None, "at": dt.datetime.now(dt.UTC), "turns": []}
        return cid

    def last_intent(self, conversation_id: str, username: str) -> Intent | None:
        cid = _check_uuid(conversation_id)
        with self._lock:
            conv = self._data.get(cid)
        if conv is None or conv["user"] != username or dt.datetime.now(dt.UTC) - conv["at"] > self.ttl:
            raise UnknownConversation(f"unknown conversation_id {cid}; omit it to start a new conversation")
        return Intent.from_json(conv["intent"]) if conv["intent"] else None

    def record(self, conversation_id: str, username: str, intent: Intent | None, turn: Turn) -> None:
        with self._lock:
            conv = self._data[conversation_id]
            if intent is not None:
                conv["intent"] = intent.to_json()
            conv["at"] = dt.datetime.now(dt.UTC)
            conv["turns"].append(turn)


class PgConversations:
    """Conversations in Postgres; ``pool`` is a psycopg pool of dict-row autocommit connections."""

    def __init__(self, pool: Any, ttl_hours: int = 24):
        self.pool = pool
        self.ttl_hours = ttl_hours

    def new_id(self, username: str) -> str:
        cid = str(uuid.uuid4())
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO chat_conversations (id, username) VALUES (%s, %s)", [cid, username])
        return cid

    def last_intent(self, conversation_id: str, username: str) -> Intent | None:
        cid = _check_uuid(conversation_id)
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT intent FROM chat_conversations WHERE id = %s AND username = %s "
                "AND updated_at > now() - make_interval(hours => %s)", [cid, username, self.ttl_hours]).fetchone()
        if row is None:
            raise UnknownConversation(f"unknown conversation_id {cid}; omit it to start a new conversation")
        return Intent.from_json(row["intent"]) if row["intent"] else None

    def record(self, conversation_id: str, username: str, intent: Intent | None, turn: Turn) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE chat_conversations SET intent = COALESCE(%s::jsonb, intent), turns = turns + 1, "
                "updated_at = now() WHERE id = %s",
                [json.dumps(intent.to_json()) if intent is not None else None, conversation_id])
            conn.execute(
                "INSERT INTO chat_turns (conversation_id, username, question, sql, refused, answer) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [conversation_id, username, turn.question[:10000], turn.sql, turn.refused, turn.answer])
