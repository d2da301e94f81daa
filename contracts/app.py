"""App API contracts: request and response models of the governance API (auth, overrides, approvals, audit).

Requests forbid unknown fields (a typo is a 422, not a silently ignored field). Months are first-of-month
dates; requests also accept ``"YYYY-MM"``. ``pct_change`` is in percent (+15 means 15% above the statistical
forecast,
-100 zeroes it); ``new_qty`` replaces the forecast of every month in ``start_month..end_month``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, computed_field, field_validator, model_validator

from contracts.base import LakecastModel

Role = Literal["viewer", "planner", "approver", "admin"]
OverrideStatus = Literal["draft", "submitted", "approved", "rejected", "withdrawn"]
ReasonCode = Literal["promo", "event", "market_intel", "supply", "correction", "other"]
Decision = Literal["approved", "rejected"]

ROLES: tuple[str, ...] = get_args(Role)
#: A pipeline run's status in the app database (pipeline_runs.status; a CHECK constraint holds the same set).
RunStatus = Literal["running", "succeeded", "failed", "skipped"]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)

Action = Literal["override.create", "override.decide", "override.withdraw", "override.comment", "audit.read",
                 "competition.run", "competition.save"]
#: Who may do what: the one permission table. The API's route guards and services check it, ``GET /auth/me``
#: serves each user's actions from it, and the UI only asks ``/auth/me`` (docs/governance.md, "Roles").
#: ``override.create`` also covers editing and submitting one's own drafts (admins: any draft).
PERMISSIONS: dict[Action, tuple[Role, ...]] = {
    "override.create": ("planner", "admin"),
    "override.decide": ("approver", "admin"),  # plus the four-eyes rule, checked per override
    "override.withdraw": ("planner", "approver", "admin"),  # planners: only overrides they created
    "override.comment": ("planner", "approver", "admin"),
    "audit.read": ("approver", "admin"),
    "competition.run": ("planner", "approver", "admin"),  # what-if runs of the champion competition
    "competition.save": ("approver", "admin"),  # saving the competition config used by the next forecast
}


def may(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (an unknown action is an error, not a silent no)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; known: {sorted(PERMISSIONS)}")
    return role in PERMISSIONS[action]


def roles_for(action: str) -> tuple[str, ...]:
    """The roles allowed ``action``."""
    may("", action)  # validates the action
    return PERMISSIONS[action]  # type: ignore[index]  # validated just above


def actions_of(role: str) -> list[Action]:
    """Every action ``role`` may do, in table order."""
    return [a for a, roles in PERMISSIONS.items() if role in roles]
OVERRIDE_STATUSES: tuple[str, ...] = ("draft", "submitted", "approved", "rejected")
REASON_CODES: tuple[str, ...] = ("promo", "event", "market_intel", "supply", "correction", "other")

#: Longest range one override may cover.
MAX_OVERRIDE_MONTHS = 36
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def _parse_month(value: Any) -> Any:
    if isinstance(value, str) and _MONTH_RE.match(value):
        return value + "-01"
    return value


def _first_of_month(value: dt.date) -> dt.date:
    if value.day != 1:
        raise ValueError(
            f"months are given as their first day (YYYY-MM-01 or YYYY-MM), got {value.isoformat()}"
        )
    return value


Month = Annotated[dt.date, BeforeValidator(_parse_month)]
Qty = Annotated[
    float, Field(ge=0, le=1e12, allow_inf_nan=False, description="Units per month (replaces forecast)")
]
Pct = Annotated[float, Field(ge=-100, le=1000, allow_inf_nan=False, description="Percent change vs forecast")]
ReasonText = Annotated[str, Field(max_length=2000, description="Free-text justification")]


def months_between(start: dt.date, end: dt.date) -> int:
    """Number of months in the inclusive range start..end."""
    return (end.year - start.year) * 12 + (end.month - start.month) + 1


def check_override_values(
    start_month: dt.date, end_month: dt.date, new_qty: float | None, pct_change: float | None
) -> None:
    """Rules shared by create and (merged) update; raises ValueError with a readable message."""
    _first_of_month(start_month)
    _first_of_month(end_month)
    if end_month < start_month:
        raise ValueError(f"end_month {end_month.isoformat()} is before start_month {start_month.isoformat()}")
    n = months_between(start_month, end_month)
    if n > MAX_OVERRIDE_MONTHS:
        raise ValueError(f"an override covers at most {MAX_OVERRIDE_MONTHS} months, got {n}")
    if (new_qty is None) == (pct_change is None):
        raise ValueError("give exactly one of new_qty or pct_change")


# ---------------------------------------------------------------------------------------------- auth / users
class LoginRequest(LakecastModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Token(LakecastModel):
    access_token: str = Field(description="JWT (HS256); send as 'Authorization: Bearer <token>'")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class UserPublic(LakecastModel):
    username: str
    display_name: str
    role: Role
    active: bool = True


class Me(UserPublic):
    """The logged-in user and what their role may do (from :data:`PERMISSIONS`; the UI asks this, never a copy)."""

    permissions: list[Action] = Field(description="Actions this user's role may do (docs/governance.md, Roles)")


# ---------------------------------------------------------------------------------------------- overrides
class OverrideCreate(LakecastModel):
    """A new draft override. ``dfu_id`` may be omitted (it is ``item_id|location_id``)."""

    dfu_id: str | None = Field(None, max_length=201, description="DFU key = item_id|location_id")
    item_id: str = Field(min_length=1, max_length=100)
    location_id: str = Field(min_length=1, max_length=100)
    start_month: Month
    end_month: Month | None = Field(
        None, description="Last month covered (inclusive); defaults to start_month"
    )
    new_qty: Qty | None = None
    pct_change: Pct | None = None
    reason_code: ReasonCode
    reason_text: ReasonText = ""

    @field_validator("item_id", "location_id")
    @classmethod
    def _no_pipe(cls, value: str) -> str:
        if "|" in value or value != value.strip():
            raise ValueError("must not contain '|' or leading/trailing spaces")
        return value

    @model_validator(mode="after")
    def _check(self) -> OverrideCreate:
        expected = f"{self.item_id}|{self.location_id}"
        if self.dfu_id is not None and self.dfu_id != expected:
            raise ValueError(f"dfu_id must be item_id|location_id = {expected!r}, got {self.dfu_id!r}")
        check_override_values(
            self.start_month, self.end_month or self.start_month, self.new_qty, self.pct_change
        )
        return self

    @property
    def resolved_dfu_id(self) -> str:
        return f"{self.item_id}|{self.location_id}"

    @property
    def resolved_end_month(self) -> dt.date:
        return self.end_month or self.start_month


class OverrideUpdate(LakecastModel):
    """Edit of a draft. ``version`` must be the version you read (optimistic concurrency: stale -> 409).

    Only the fields you send change. Sending ``new_qty`` clears ``pct_change`` and vice versa; the DFU of an
    override cannot change (create a new override instead).
    """

    version: int = Field(ge=1, description="Version of the override this edit is based on")
    start_month: Month | None = None
    end_month: Month | None = None
    new_qty: Qty | None = None
    pct_change: Pct | None = None
    reason_code: ReasonCode | None = None
    reason_text: ReasonText | None = None

    @model_validator(mode="after")
    def _check(self) -> OverrideUpdate:
        changed = self.model_fields_set - {"version"}
        if not changed:
            raise ValueError("nothing to update: send at least one field besides version")
        for name in ("start_month", "end_month", "reason_code", "reason_text"):
            if name in changed and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if self.new_qty is not None and self.pct_change is not None:
            raise ValueError("give exactly one of new_qty or pct_change")
        if {"new_qty", "pct_change"} & changed and self.new_qty is None and self.pct_change is None:
            raise ValueError("give exactly one of new_qty or pct_change (an override must adjust something)")
        return self


class VersionedAction(LakecastModel):
    """Body of a state transition (submit): the version you read."""

    version: int = Field(ge=1, description="Version of the override this action is based on")


class ApprovalDecision(LakecastModel):
    """Body of approve / reject. A rejection needs a note saying why."""

    version: int = Field(ge=1, description="Version of the override the approver reviewed")
    note: str = Field("", max_length=2000, description="Decision note (required to reject)")


class Withdrawal(LakecastModel):
    """Body of withdraw (an approved override leaves the final forecast): the version you read and why."""

    version: int = Field(ge=1, description="Version of the override this withdrawal is based on")
    note: str = Field(min_length=1, max_length=2000, description="Why it is withdrawn (required)")

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a withdrawal needs a note explaining why")
        return value


class OverridePublic(LakecastModel):
    id: int
    dfu_id: str
    item_id: str
    location_id: str
    start_month: dt.date
    end_month: dt.date
    new_qty: float | None
    pct_change: float | None
    reason_code: ReasonCode
    reason_text: str
    status: OverrideStatus
    created_by: str
    submitted_by: str | None
    decided_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    withdrawn_by: str | None = None
    withdrawn_at: dt.datetime | None = None
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def n_months(self) -> int:
        return months_between(self.start_month, self.end_month)


OverrideActionName = Literal["edit", "submit", "approve", "reject", "withdraw"]


class OverrideAction(LakecastModel):
    action: OverrideActionName
    allowed: bool = Field(description="Whether the current user may do it now")
    reason: str | None = Field(None, description="Why not (role, ownership, four-eyes rule or status); null if allowed")


class OverrideActions(LakecastModel):
    """What the current user may do to one override now: the API's own rule, so the UI keeps no copy of it."""

    override_id: int
    version: int = Field(description="The override version the answer is for")
    actions: list[OverrideAction]


class OverridePage(LakecastModel):
    items: list[OverridePublic]
    total: int = Field(description="Rows matching the filters (all pages)")
    limit: int
    offset: int


class CommentCreate(LakecastModel):
    body: str = Field(min_length=1, max_length=4000)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("comment must not be blank")
        return value


class CommentPublic(LakecastModel):
    id: int
    override_id: int
    author: str
    body: str
    created_at: dt.datetime


# ---------------------------------------------------------------------------------------------- audit
class AuditEntry(LakecastModel):
    id: int
    at: dt.datetime
    actor: str
    action: str = Field(
        description="e.g. override.create, override.update, override.submit, override.approve"
    )
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(LakecastModel):
    items: list[AuditEntry]
    total: int
    limit: int
    offset: int


# ---------------------------------------------------------------------------------------------- service
class HealthStatus(LakecastModel):
    status: Literal["ok"] = "ok"


class ReadyStatus(LakecastModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description="check name -> 'ok' or the failure")


class ErrorBody(LakecastModel):
    """Every 4xx/5xx body: one human-readable message (422 adds the per-field ``errors``)."""

    detail: str
    errors: list[dict[str, Any]] | None = None
