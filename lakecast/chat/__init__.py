"""Natural-language questions over gold: semantic layer -> SQL AST -> guard -> read-only execution.

Entry point: ``ChatService(make_executor(settings), retriever=..., conversations=...).ask(question, username=...)``.
See docs/chat.md.
"""

from lakecast.chat.config import ChatSettings, chat_settings_from_env
from lakecast.chat.executor import make_executor
from lakecast.chat.guard import GuardRefusal, guard_sql
from lakecast.chat.service import ChatBadRequest, ChatRefused, ChatReply, ChatService

__all__ = [
    "ChatBadRequest", "ChatRefused", "ChatReply", "ChatService", "ChatSettings", "GuardRefusal",
    "chat_settings_from_env", "guard_sql", "make_executor",
]
