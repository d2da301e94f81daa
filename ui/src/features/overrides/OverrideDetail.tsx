// One override: its fields, submit (owner) / approve-reject with a note (approver) / withdraw an approved one,
// comments and audit trail.
import { useState } from "react";
import { Link } from "react-router";
import { can, useAuth } from "../../auth/AuthContext";
import { QueryView } from "../../components/Status";
import { fmtDateTime } from "../../lib/format";
import {
  useAddComment,
  useComments,
  useDecideOverride,
  useOverride,
  useOverrideActions,
  useOverrideAudit,
  useSubmitOverride,
  useWithdrawOverride,
} from "./api";
import { actionMap, auditChanges, describeAdjustment, describeMonths, type ActionMap, type Override } from "./logic";
import { StatusBadge } from "./StatusBadge";

export function OverrideDetail({ id }: { id: number }) {
  const query = useOverride(id);
  return <QueryView query={query}>{(o) => <Detail o={o} />}</QueryView>;
}

function Detail({ o }: { o: Override }) {
  const actions = actionMap(useOverrideActions(o.id, o.version).data);
  return (
    <section className="card detail" aria-labelledby="ov-title" data-testid="override-detail">
      <h2 id="ov-title">
        Override #{o.id} <StatusBadge status={o.status} />
      </h2>
      <dl className="facts">
        <dt>DFU</dt>
        <dd>
          <Link to={`/app/dfu/${encodeURIComponent(o.dfu_id)}`}>{o.dfu_id}</Link>
        </dd>
        <dt>Months</dt>
        <dd>{describeMonths(o)}</dd>
        <dt>Adjustment</dt>
        <dd>{describeAdjustment(o)}</dd>
        <dt>Reason</dt>
        <dd>
          {o.reason_code}
          {o.reason_text ? ` — ${o.reason_text}` : ""}
        </dd>
        <dt>Created</dt>
        <dd>
          {o.created_by}, {fmtDateTime(o.created_at)}
        </dd>
        {o.submitted_by && (
          <>
            <dt>Submitted</dt>
            <dd>
              {o.submitted_by}, {fmtDateTime(o.submitted_at)}
            </dd>
          </>
        )}
        {o.decided_by && (
          <>
            <dt>Decided</dt>
            <dd>
              {o.decided_by}, {fmtDateTime(o.decided_at)}
            </dd>
          </>
        )}
        {o.withdrawn_by && (
          <>
            <dt>Withdrawn</dt>
            <dd>
              {o.withdrawn_by}, {fmtDateTime(o.withdrawn_at)}
            </dd>
          </>
        )}
        <dt>Version</dt>
        <dd>{o.version}</dd>
      </dl>
      {actions?.submit.allowed && <SubmitAction o={o} />}
      {o.status === "submitted" && actions && <DecisionForm o={o} actions={actions} />}
      {actions?.withdraw.allowed && <WithdrawForm o={o} />}
      <Comments id={o.id} />
      <AuditTrail id={o.id} />
    </section>
  );
}

function SubmitAction({ o }: { o: Override }) {
  const submit = useSubmitOverride();
  return (
    <div className="actions">
      <button type="button" className="primary" disabled={submit.isPending} onClick={() => submit.mutate(o)}>
        Submit for approval
      </button>
      {submit.error && (
        <div className="status status-error" role="alert">
          {submit.error.message}
        </div>
      )}
    </div>
  );
}

function DecisionForm({ o, actions }: { o: Override; actions: ActionMap }) {
  const decide = useDecideOverride();
  const [note, setNote] = useState("");
  const blocker = actions.approve.allowed ? null : actions.approve.reason;
  const [localError, setLocalError] = useState<string | null>(null);

  const run = (decision: "approve" | "reject") => {
    if (decision === "reject" && !note.trim()) {
      setLocalError("a rejection needs a note saying why");
      return;
    }
    setLocalError(null);
    decide.mutate({ o, decision, note });
  };

  return (
    <fieldset className="decision" aria-describedby={blocker ? "decision-blocker" : undefined}>
      <legend>Decision</legend>
      {blocker && (
        <p id="decision-blocker" className="status status-warn" data-testid="decision-blocker">
          You cannot decide this override: {blocker}.
        </p>
      )}
      <label className="field" htmlFor="decision-note">
        <span>Note (required to reject)</span>
        <textarea id="decision-note" value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} disabled={Boolean(blocker)} />
      </label>
      <div className="form-actions">
        <button type="button" className="primary" disabled={Boolean(blocker) || decide.isPending} onClick={() => run("approve")}>
          Approve
        </button>
        <button type="button" className="danger" disabled={Boolean(blocker) || decide.isPending} onClick={() => run("reject")}>
          Reject
        </button>
      </div>
      {(localError || decide.error) && (
        <div className="status status-error" role="alert">
          {localError ?? decide.error?.message}
        </div>
      )}
    </fieldset>
  );
}

function WithdrawForm({ o }: { o: Override }) {
  const withdraw = useWithdrawOverride();
  const [note, setNote] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const run = () => {
    if (!note.trim()) {
      setLocalError("a withdrawal needs a note saying why");
      return;
    }
    setLocalError(null);
    withdraw.mutate({ o, note });
  };
  return (
    <fieldset className="decision">
      <legend>Withdraw</legend>
      <p className="muted">Withdrawing takes this override out of the final forecast at once.</p>
      <label className="field" htmlFor="withdraw-note">
        <span>Note (required)</span>
        <textarea id="withdraw-note" value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={2000} />
      </label>
      <div className="form-actions">
        <button type="button" className="danger" disabled={withdraw.isPending} onClick={run}>
          Withdraw
        </button>
      </div>
      {(localError || withdraw.error) && (
        <div className="status status-error" role="alert">
          {localError ?? withdraw.error?.message}
        </div>
      )}
    </fieldset>
  );
}

function Comments({ id }: { id: number }) {
  const { user } = useAuth();
  const comments = useComments(id);
  const add = useAddComment(id);
  const [body, setBody] = useState("");
  return (
    <section aria-labelledby="comments-title">
      <h3 id="comments-title">Comments</h3>
      <QueryView query={comments}>
        {(items) =>
          items.length === 0 ? (
            <p className="muted">No comments.</p>
          ) : (
            <ul className="comments">
              {items.map((c) => (
                <li key={c.id}>
                  <strong>{c.author}</strong> <span className="muted">{fmtDateTime(c.created_at)}</span>
                  <p>{c.body}</p>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
      {can(user, "override.comment") && (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (body.trim()) add.mutate(body, { onSuccess: () => setBody("") });
          }}
        >
          <label className="field grow" htmlFor="comment-body">
            <span>Add a comment</span>
            <input id="comment-body" value={body} onChange={(e) => setBody(e.target.value)} maxLength={4000} />
          </label>
          <button type="submit" disabled={add.isPending || !body.trim()}>
            Comment
          </button>
          {add.error && (
            <div className="status status-error" role="alert">
              {add.error.message}
            </div>
          )}
        </form>
      )}
    </section>
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function AuditTrail({ id }: { id: number }) {
  const audit = useOverrideAudit(id);
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">Audit trail</h3>
      <QueryView query={audit}>
        {(page) => (
          <ol className="audit" data-testid="audit-trail">
            {page.items.map((e) => {
              const changes = e.action === "override.create" ? [] : auditChanges(e);
              return (
                <li key={e.id}>
                  <div>
                    <code>{e.action}</code> by <strong>{e.actor}</strong> <span className="muted">{fmtDateTime(e.at)}</span>
                  </div>
                  {changes.length > 0 && (
                    <ul className="changes">
                      {changes.map((c) => (
                        <li key={c.field}>
                          {c.field}: {show(c.before)} → {show(c.after)}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </QueryView>
    </section>
  );
}
