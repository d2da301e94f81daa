"""Override workflow: draft -> submitted -> approved | rejected; approved -> withdrawn; comments and audit.

Every state change runs in one transaction that (1) locks the override row (``SELECT ... FOR UPDATE``),
(2) checks permission, status and the client's ``version``, (3) updates the row with ``version + 1`` and
(4) appends its audit row. Concurrent changes of one override therefore serialise on the row lock, and the
loser sees the winner's new version and gets 409. The database re-checks the invariants (status transitions,
exactly one of new_qty/pct_change, four-eyes) with constraints and a trigger.

Who may do what (route dependencies check the role; this module checks ownership and four-eyes):

* create: planner, admin;  edit / submit: the planner who created it, or an admin; drafts only.
* approve / reject: approver, admin; only submitted overrides; never someone who created or submitted it.
* withdraw: only approved overrides (it leaves the final forecast at once: the API folds only approved ones);
  the planner who created it, any approver, or an admin; a note is required.
* comment: planner, approver, admin;  read: every role.
"""

from __future__ import annotations

from typing import Any

from api.services import Conflict, Forbidden, Invalid, NotFound
from contracts.app import (
    ApprovalDecision,
    AuditEntry,
    AuditPage,
    CommentCreate,
    CommentPublic,
    OverrideAction,
    OverrideActionName,
    OverrideActions,
    OverrideCreate,
    OverridePage,
    OverridePublic,
    OverrideUpdate,
    UserPublic,
    Withdrawal,
    check_override_values,
    may,
    roles_for,
)
from lakecast.appdb.audit import list_audit, write_audit
from lakecast.appdb.db import Conn
from lakecast.appdb.overrides import OVERRIDE_COLUMNS

ENTITY = "override"
_EDITABLE = ("start_month", "end_month", "new_qty", "pct_change", "reason_code", "reason_text")


def _public(row: dict[str, Any]) -> OverridePublic:
    return OverridePublic.model_validate(row)


def _snapshot(ov: OverridePublic) -> dict[str, Any]:
    return ov.model_dump(mode="json")


def _lock(conn: Conn, override_id: int) -> OverridePublic:
    row = conn.execute(
        f"SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE id = %s FOR UPDATE", (override_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"override {override_id} not found")
    return _public(row)


def _who(action: str) -> str:
    """'planners and admins' for an action (the roles of contracts.app.PERMISSIONS, plural)."""
    names = [f"{r}s" for r in roles_for(action)]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


# ------------------------------------------------------------------- who may do what to ONE override (the rule)
#: per-override actions: (status it needs, verb for messages, past participle)
ACTIONS: dict[OverrideActionName, tuple[str, str, str]] = {
    "edit": ("draft", "edit", "edited"),
    "submit": ("draft", "submit", "submitted"),
    "approve": ("submitted", "approve", "approved or rejected"),
    "reject": ("submitted", "reject", "approved or rejected"),
    "withdraw": ("approved", "withdraw", "withdrawn"),
}


def blocker(ov: OverridePublic, actor: UserPublic, action: OverrideActionName) -> Forbidden | Conflict | None:
    """Why ``actor`` may not do ``action`` to ``ov`` now (None when they may): role, ownership, the four-eyes
    rule, then status, in the order the workflow checks them. The one definition: the state changes below raise
    what it returns, and ``GET /overrides/{id}/actions`` serves it to the UI (which keeps no copy)."""
    status, verb, done = ACTIONS[action]
    if action in ("edit", "submit"):
        if actor.role != "admin" and (not may(actor.role, "override.create") or ov.created_by != actor.username):
            return Forbidden(
                f"only the planner who created override {ov.id} ({ov.created_by}) or an admin can {verb} it"
            )
    elif action in ("approve", "reject"):
        if not may(actor.role, "override.decide"):
            return Forbidden(f"only {_who('override.decide')} can {verb} overrides")
        if actor.username in (ov.created_by, ov.submitted_by):
            return Forbidden(
                f"four-eyes rule: you created or submitted override {ov.id}, "
                f"so another approver must {verb} it"
            )
    elif action == "withdraw":
        if not may(actor.role, "override.withdraw"):
            return Forbidden(f"only {_who('override.withdraw')} can withdraw overrides")
        if actor.role == "planner" and ov.created_by != actor.username:
            return Forbidden(
                f"only the planner who created override {ov.id} ({ov.created_by}), an approver or an admin can "
                "withdraw it"
            )
    if ov.status != status:
        return Conflict(f"override {ov.id} is {ov.status}: only {status} overrides can be {done}")
    return None


def _check(ov: OverridePublic, actor: UserPublic, action: OverrideActionName) -> None:
    refusal = blocker(ov, actor, action)
    if refusal is not None:
        raise refusal


def allowed_actions(ov: OverridePublic, actor: UserPublic) -> OverrideActions:
    """Every per-override action with whether ``actor`` may do it now and, if not, why (:func:`blocker`)."""
    rows = []
    for action in ACTIONS:
        refusal = blocker(ov, actor, action)
        rows.append(OverrideAction(action=action, allowed=refusal is None,
                                   reason=None if refusal is None else str(refusal)))
    return OverrideActions(override_id=ov.id, version=ov.version, actions=rows)


def _check_version(ov: OverridePublic, version: int) -> None:
    if ov.version != version:
        raise Conflict(
            f"version conflict: override {ov.id} is at version {ov.version}, your change is based on version "
            f"{version}; reload it and retry"
        )


# ----------------------------------------------------------------------------------------------- reads
def get_override(conn: Conn, override_id: int) -> OverridePublic:
    row = conn.execute(f"SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE id = %s", (override_id,)).fetchone()
    if row is None:
        raise NotFound(f"override {override_id} not found")
    return _public(row)


def list_overrides(
    conn: Conn,
    *,
    status: str | None = None,
    dfu_id: str | None = None,
    created_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OverridePage:
    """One page of overrides in id order (stable under concurrent inserts: new rows only append)."""
    where, params = [], []
    for column, value in (("status", status), ("dfu_id", dfu_id), ("created_by", created_by)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    with conn.transaction():  # one snapshot for count and page
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        total = conn.execute(f"SELECT count(*) AS n FROM overrides{clause}", params).fetchone()
        rows = conn.execute(
            f"SELECT {OVERRIDE_COLUMNS} FROM overrides{clause} ORDER BY id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        ).fetchall()
    return OverridePage(
        items=[_public(r) for r in rows], total=int(total["n"]) if total else 0, limit=limit, offset=offset
    )


# ----------------------------------------------------------------------------------------------- writes
def create_override(conn: Conn, actor: UserPublic, data: OverrideCreate) -> OverridePublic:
    if not may(actor.role, "override.create"):
        raise Forbidden(f"only {_who('override.create')} can create overrides")
    with conn.transaction():
        row = conn.execute(
            f"""
            INSERT INTO overrides (dfu_id, item_id, location_id, start_month, end_month, new_qty, pct_change,
                                   reason_code, reason_text, created_by)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            RETURNING {OVERRIDE_COLUMNS}
            """,
            (
                data.resolved_dfu_id,
                data.item_id,
                data.location_id,
                data.start_month,
                data.resolved_end_month,
                data.new_qty,
                data.pct_change,
                data.reason_code,
                data.reason_text,
                actor.username,
            ),
        ).fetchone()
        assert row is not None
        ov = _public(row)
        write_audit(
            conn,
            actor=actor.username,
            action="override.create",
            entity=ENTITY,
            entity_id=ov.id,
            before=None,
            after=_snapshot(ov),
        )
    return ov


def update_override(conn: Conn, actor: UserPublic, override_id: int, patch: OverrideUpdate) -> OverridePublic:
    with conn.transaction():
        ov = _lock(conn, override_id)
        _check(ov, actor, "edit")
        _check_version(ov, patch.version)
        values = {name: getattr(ov, name) for name in _EDITABLE}
        for name in patch.model_fields_set - {"version"}:
            values[name] = getattr(patch, name)
        if "new_qty" in patch.model_fields_set and patch.new_qty is not None:
            values["pct_change"] = None
        if "pct_change" in patch.model_fields_set and patch.pct_change is not None:
            values["new_qty"] = None
        try:
            check_override_values(
                values["start_month"], values["end_month"], values["new_qty"], values["pct_change"]
            )
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        row = conn.execute(
            f"""
            UPDATE overrides SET start_month = %(start_month)s, end_month = %(end_month)s,
                   new_qty = %(new_qty)s,
                   pct_change = %(pct_change)s, reason_code = %(reason_code)s, reason_text = %(reason_text)s,
                   version = version + 1
             WHERE id = %(id)s
            RETURNING {OVERRIDE_COLUMNS}
            """,
            {**values, "id": override_id},
        ).fetchone()
        assert row is not None
        after = _public(row)
        write_audit(
            conn,
            actor=actor.username,
            action="override.update",
            entity=ENTITY,
            entity_id=override_id,
            before=_snapshot(ov),
            after=_snapshot(after),
        )
    return after


def submit_override(conn: Conn, actor: UserPublic, override_id: int, version: int) -> OverridePublic:
    with conn.transaction():
        ov = _lock(conn, override_id)
        _check(ov, actor, "submit")
        _check_version(ov, version)
        row = conn.execute(
            f"""
            UPDATE overrides SET status = 'submitted', submitted_by = %s, submitted_at = now(),
                   version = version + 1
             WHERE id = %s
            RETURNING {OVERRIDE_COLUMNS}
            """,
            (actor.username, override_id),
        ).fetchone()
        assert row is not None
        after = _public(row)
        write_audit(
            conn,
            actor=actor.username,
            action="override.submit",
            entity=ENTITY,
            entity_id=override_id,
            before=_snapshot(ov),
            after=_snapshot(after),
        )
    return after


def decide_override(
    conn: Conn, actor: UserPublic, override_id: int, decision: str, body: ApprovalDecision
) -> OverridePublic:
    """Approve or reject a submitted override (``decision`` is 'approved' or 'rejected')."""
    if decision not in ("approved", "rejected"):
        raise ValueError(f"bad decision {decision!r}")
    verb = "approve" if decision == "approved" else "reject"
    if not may(actor.role, "override.decide"):
        raise Forbidden(f"only {_who('override.decide')} can {verb} overrides")
    if decision == "rejected" and not body.note.strip():
        raise Invalid("a rejection needs a note explaining why")
    with conn.transaction():
        ov = _lock(conn, override_id)
        _check(ov, actor, "approve" if decision == "approved" else "reject")
        _check_version(ov, body.version)
        conn.execute(
            "INSERT INTO approvals (override_id, decision, decided_by, override_version, note)"
            " VALUES (%s, %s, %s, %s, %s)",
            (override_id, decision, actor.username, ov.version, body.note),
        )
        row = conn.execute(
            f"""
            UPDATE overrides SET status = %s, decided_by = %s, decided_at = now(), version = version + 1
             WHERE id = %s
            RETURNING {OVERRIDE_COLUMNS}
            """,
            (decision, actor.username, override_id),
        ).fetchone()
        assert row is not None
        after = _public(row)
        write_audit(
            conn,
            actor=actor.username,
            action=f"override.{verb}",
            entity=ENTITY,
            entity_id=override_id,
            before=_snapshot(ov),
            after={**_snapshot(after), "decision_note": body.note},
        )
    return after


def withdraw_override(conn: Conn, actor: UserPublic, override_id: int, body: Withdrawal) -> OverridePublic:
    """Withdraw an approved override: it stops counting in the final forecast from the next read on."""
    if not may(actor.role, "override.withdraw"):
        raise Forbidden(f"only {_who('override.withdraw')} can withdraw overrides")
    with conn.transaction():
        ov = _lock(conn, override_id)
        _check(ov, actor, "withdraw")
        _check_version(ov, body.version)
        row = conn.execute(
            f"""
            UPDATE overrides SET status = 'withdrawn', withdrawn_by = %s, withdrawn_at = now(), version = version + 1
             WHERE id = %s
            RETURNING {OVERRIDE_COLUMNS}
            """,
            (actor.username, override_id),
        ).fetchone()
        assert row is not None
        after = _public(row)
        write_audit(
            conn,
            actor=actor.username,
            action="override.withdraw",
            entity=ENTITY,
            entity_id=override_id,
            before=_snapshot(ov),
            after={**_snapshot(after), "withdraw_note": body.note},
        )
    return after


# ----------------------------------------------------------------------------------------------- comments
def add_comment(conn: Conn, actor: UserPublic, override_id: int, data: CommentCreate) -> CommentPublic:
    if not may(actor.role, "override.comment"):
        raise Forbidden(f"only {_who('override.comment')} can comment")
    with conn.transaction():
        _lock(conn, override_id)  # 404 for unknown ids; serialises with transitions for a clean audit order
        row = conn.execute(
            "INSERT INTO override_comments (override_id, author, body) VALUES (%s, %s, %s)"
            " RETURNING id, override_id, author, body, created_at",
            (override_id, actor.username, data.body),
        ).fetchone()
        assert row is not None
        comment = CommentPublic.model_validate(row)
        write_audit(
            conn,
            actor=actor.username,
            action="override.comment",
            entity=ENTITY,
            entity_id=override_id,
            after=comment.model_dump(mode="json"),
        )
    return comment


def list_comments(conn: Conn, override_id: int) -> list[CommentPublic]:
    get_override(conn, override_id)
    rows = conn.execute(
        "SELECT id, override_id, author, body, created_at FROM override_comments WHERE override_id = %s"
        " ORDER BY id",
        (override_id,),
    ).fetchall()
    return [CommentPublic.model_validate(r) for r in rows]


# ----------------------------------------------------------------------------------------------- audit
def override_audit(conn: Conn, override_id: int, *, limit: int = 500, offset: int = 0) -> AuditPage:
    """The override's history, oldest first."""
    get_override(conn, override_id)
    rows, total = list_audit(
        conn, entity=ENTITY, entity_id=str(override_id), limit=limit, offset=offset, newest_first=False
    )
    return AuditPage(
        items=[AuditEntry.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


def audit_page(
    conn: Conn,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """The whole audit log, newest first."""
    rows, total = list_audit(
        conn, entity=entity, entity_id=entity_id, actor=actor, action=action, limit=limit, offset=offset
    )
    return AuditPage(
        items=[AuditEntry.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
