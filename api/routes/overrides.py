"""Override governance endpoints: CRUD of drafts, submit, approve/reject, withdraw, comments, audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from api.deps import (
    ApproverUser,
    AuditReader,
    ContributorUser,
    CurrentUser,
    DbConn,
    PlannerUser,
    WithdrawerUser,
)
from api.services import overrides as svc
from contracts.app import (
    ApprovalDecision,
    AuditPage,
    CommentCreate,
    CommentPublic,
    ErrorBody,
    OverrideActions,
    OverrideCreate,
    OverridePage,
    OverridePublic,
    OverrideStatus,
    OverrideUpdate,
    VersionedAction,
    Withdrawal,
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "not authenticated"},
    403: {"model": ErrorBody, "description": "role or ownership does not allow this"},
    404: {"model": ErrorBody, "description": "unknown override"},
    409: {"model": ErrorBody, "description": "stale version or illegal status transition"},
    422: {"model": ErrorBody, "description": "invalid input"},
}

router = APIRouter(tags=["overrides"], responses=_ERRORS)

OverrideId = Annotated[int, Path(ge=1, le=2**62, description="Override id")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (max 500)")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Rows to skip")]


@router.get("/overrides", response_model=OverridePage, summary="List overrides (id order, paginated)")
def list_overrides(
    user: CurrentUser,
    conn: DbConn,
    status_: Annotated[OverrideStatus | None, Query(alias="status")] = None,
    dfu_id: Annotated[str | None, Query(max_length=201)] = None,
    created_by: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OverridePage:
    return svc.list_overrides(
        conn, status=status_, dfu_id=dfu_id, created_by=created_by, limit=limit, offset=offset
    )


@router.post(
    "/overrides",
    response_model=OverridePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft override (planner, admin)",
)
def create_override(user: PlannerUser, conn: DbConn, body: OverrideCreate) -> OverridePublic:
    return svc.create_override(conn, user, body)


@router.get("/overrides/{override_id}", response_model=OverridePublic, summary="One override")
def get_override(user: CurrentUser, conn: DbConn, override_id: OverrideId) -> OverridePublic:
    return svc.get_override(conn, override_id)


@router.get(
    "/overrides/{override_id}/actions",
    response_model=OverrideActions,
    summary="What the current user may do to this override now (and why not)",
)
def override_actions(user: CurrentUser, conn: DbConn, override_id: OverrideId) -> OverrideActions:
    return svc.allowed_actions(svc.get_override(conn, override_id), user)


@router.patch(
    "/overrides/{override_id}",
    response_model=OverridePublic,
    summary="Edit a draft (its planner or an admin; send the version you read)",
)
def update_override(
    user: PlannerUser, conn: DbConn, override_id: OverrideId, body: OverrideUpdate
) -> OverridePublic:
    return svc.update_override(conn, user, override_id, body)


@router.post(
    "/overrides/{override_id}/submit",
    response_model=OverridePublic,
    summary="Submit a draft for approval (its planner or an admin)",
)
def submit_override(
    user: PlannerUser, conn: DbConn, override_id: OverrideId, body: VersionedAction
) -> OverridePublic:
    return svc.submit_override(conn, user, override_id, body.version)


@router.post(
    "/overrides/{override_id}/approve",
    response_model=OverridePublic,
    summary="Approve a submitted override (approver, admin; not its creator or submitter)",
)
def approve_override(
    user: ApproverUser, conn: DbConn, override_id: OverrideId, body: ApprovalDecision
) -> OverridePublic:
    return svc.decide_override(conn, user, override_id, "approved", body)


@router.post(
    "/overrides/{override_id}/reject",
    response_model=OverridePublic,
    summary="Reject a submitted override with a note (approver, admin; not its creator or submitter)",
)
def reject_override(
    user: ApproverUser, conn: DbConn, override_id: OverrideId, body: ApprovalDecision
) -> OverridePublic:
    return svc.decide_override(conn, user, override_id, "rejected", body)


@router.post(
    "/overrides/{override_id}/withdraw",
    response_model=OverridePublic,
    summary="Withdraw an approved override with a note (its planner, an approver or an admin)",
)
def withdraw_override(
    user: WithdrawerUser, conn: DbConn, override_id: OverrideId, body: Withdrawal
) -> OverridePublic:
    return svc.withdraw_override(conn, user, override_id, body)


@router.post(
    "/overrides/{override_id}/comments",
    response_model=CommentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Comment on an override (planner, approver, admin)",
)
def add_comment(
    user: ContributorUser, conn: DbConn, override_id: OverrideId, body: CommentCreate
) -> CommentPublic:
    return svc.add_comment(conn, user, override_id, body)


@router.get(
    "/overrides/{override_id}/comments", response_model=list[CommentPublic], summary="Comments, oldest first"
)
def list_comments(user: CurrentUser, conn: DbConn, override_id: OverrideId) -> list[CommentPublic]:
    return svc.list_comments(conn, override_id)


@router.get(
    "/overrides/{override_id}/audit",
    response_model=AuditPage,
    summary="The override's audit trail, oldest first",
)
def override_audit(
    user: CurrentUser, conn: DbConn, override_id: OverrideId, limit: Limit = 500, offset: Offset = 0
) -> AuditPage:
    return svc.override_audit(conn, override_id, limit=limit, offset=offset)


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (approver, admin)")
def audit(
    user: AuditReader,
    conn: DbConn,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    return svc.audit_page(
        conn, entity=entity, entity_id=entity_id, actor=actor, action=action, limit=limit, offset=offset
    )
