"""The errors services raise; ``api.main`` maps each to its HTTP status (``{"detail": ...}`` responses).

Kept apart from ``api.services`` so modules the services import (``api.engine``) can raise them without an
import cycle.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses; ``status_code`` is the HTTP status it maps to."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(ServiceError):
    status_code = 400


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    """Stale version or a transition the current status does not allow."""

    status_code = 409


class Invalid(ServiceError):
    """Well-formed request whose values break a rule (e.g. a rejection without a note)."""

    status_code = 422


class Unavailable(ServiceError):
    status_code = 503
