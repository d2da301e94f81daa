"""Service layer: plain functions over a psycopg connection, no FastAPI objects.

Services raise ``ServiceError`` subclasses; ``api.main`` turns them into ``{"detail": ...}`` responses with
the matching status code.
"""

from __future__ import annotations

from api.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "ServiceError",
    "Unauthorized",
    "Unavailable",
]
