"""Natural-language questions (``POST /chat``) and the DFU demand briefing (``GET /chat/briefing/{dfu_id}``).

Any logged-in user may ask. Outcomes: 200 with rows (``mode`` rules / sql / llm) or a clarification (``mode``
clarify, ``sql`` null, ``did_you_mean``); 400 ``{"detail", "refused": true}`` when the question or its SQL is
refused for safety; 400 ``{"detail"}`` for bad input (unknown filter, failing SQL); 404 for an unknown
conversation or DFU. Never a 500 for anything a question can contain (docs/chat.md).

The chat service is created on first use per app: a sandboxed executor on the serving engine (its own
locked-down DuckDB connection, not ``app.state.engine``: chat's connection must be file-sandboxed and
configuration-locked), the pgvector retrieval store (indexed on first use) and conversations in the app DB.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, SettingsDep
from api.schemas.chat import (
    BriefingResponse,
    BriefingSection,
    ChartSpec,
    ChatRefusal,
    ChatRequest,
    ChatResponse,
    Clarification,
    UsedTerm,
)
from api.services import BadRequest, NotFound, Unavailable
from contracts.app import ErrorBody
from lakecast.chat.briefing import BriefingError, build_briefing
from lakecast.chat.conversations import PgConversations, UnknownConversation
from lakecast.chat.executor import make_executor
from lakecast.chat.llm import LLMClient
from lakecast.chat.retrieval import MemoryStore, PgVectorStore, Retriever
from lakecast.chat.service import ChatBadRequest, ChatRefused, ChatService
from lakecast.settings import Settings

log = logging.getLogger("lakecast.api.chat")

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ChatRefusal, "description": "refused for safety (refused=true) or bad input"},
    401: {"model": ErrorBody, "description": "not authenticated"},
    404: {"model": ErrorBody, "description": "unknown conversation or DFU"},
    422: {"model": ErrorBody, "description": "invalid request body"},
    503: {"model": ErrorBody, "description": "app database not initialised"},
}
router = APIRouter(prefix="/chat", tags=["chat"], responses=_ERRORS)
_lock = threading.Lock()


def _build_service(request: Request, settings: Settings) -> ChatService:
    cfg = settings.chat  # conf/*.yaml `chat:` and LAKECAST_CHAT__* env vars
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        raise Unavailable("app database not initialised")
    retriever: Retriever
    try:
        store = PgVectorStore(pool, cfg.embedding_dim)
        written = store.ensure_index()
        log.info("chat retrieval index ready (%d documents written)", written)
        retriever = store
    except psycopg.Error as exc:  # e.g. migration 0003 missing: keep answering, retrieval in memory (logged)
        log.warning("pgvector retrieval unavailable (%s); using the in-memory index", exc)
        retriever = MemoryStore(cfg.embedding_dim)
    llm = LLMClient(cfg) if cfg.llm_enabled else None
    executor = make_executor(settings, timeout_seconds=cfg.statement_timeout_seconds)
    return ChatService(executor, cfg, retriever=retriever, conversations=PgConversations(pool,
                       cfg.conversation_ttl_hours), llm=llm)


def get_service(request: Request, settings: Settings) -> ChatService:
    """The app's chat service (created on first use; ``app.state.chat_service``)."""
    service = getattr(request.app.state, "chat_service", None)
    if service is None:
        with _lock:
            service = getattr(request.app.state, "chat_service", None)
            if service is None:
                service = _build_service(request, settings)
                request.app.state.chat_service = service
    return service


@router.post("", response_model=ChatResponse, summary="Ask a question about sales, forecasts or accuracy")
def ask(body: ChatRequest, request: Request, user: CurrentUser, settings: SettingsDep) -> Any:
    service = get_service(request, settings)
    try:
        reply = service.ask(body.question, username=user.username, filters=body.filters,
                            conversation_id=body.conversation_id)
    except ChatRefused as exc:
        refusal = ChatRefusal(detail=exc.message, conversation_id=exc.conversation_id)
        return JSONResponse(refusal.model_dump(), status_code=400)
    except ChatBadRequest as exc:
        raise BadRequest(exc.message) from None
    except UnknownConversation as exc:
        raise NotFound(str(exc)) from None
    clarification = (Clarification(**reply.clarification.to_json()) if reply.clarification is not None else None)
    return ChatResponse(answer=reply.answer, sql=reply.sql, columns=reply.columns, rows=reply.rows,
                        chart=ChartSpec(**reply.chart.to_json()), conversation_id=reply.conversation_id,
                        did_you_mean=reply.did_you_mean, notes=reply.notes, mode=reply.mode,  # type: ignore[arg-type]
                        used=[UsedTerm(text=u.text, role=u.role, meaning=u.meaning) for u in reply.used],  # type: ignore[arg-type]
                        ignored=reply.ignored, clarification=clarification)


@router.get("/briefing/{dfu_id}", response_model=BriefingResponse,
            summary="Demand context briefing of one DFU: trend, seasonality, volatility, promotions, risk, accuracy")
def briefing(dfu_id: Annotated[str, Path(max_length=130, description="item_id|location_id")], request: Request,
             user: CurrentUser, settings: SettingsDep) -> BriefingResponse:
    service = get_service(request, settings)
    try:
        b = build_briefing(service.executor, dfu_id)
    except BriefingError as exc:
        raise (NotFound(exc.message) if exc.not_found else BadRequest(exc.message)) from None
    return BriefingResponse(dfu_id=b.dfu_id, item_id=b.item_id, location_id=b.location_id, headline=b.headline,
                            summary=b.summary, sources=b.sources,
                            sections=[BriefingSection(title=s.title, text=s.text, values=s.values)
                                      for s in b.sections])
