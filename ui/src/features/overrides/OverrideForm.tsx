// The override form (planners, admins): a draft, or a draft submitted at once for approval.
import { useState, type FormEvent } from "react";
import { useAuth, can } from "../../auth/AuthContext";
import { useCreateOverride } from "./api";
import { REASON_CODES, toCreateBody, type Override, type OverrideDraft } from "./logic";

type Props = {
  itemId?: string;
  locationId?: string;
  defaultMonth?: string; // YYYY-MM
  onCreated?: (o: Override) => void;
};

export function OverrideForm({ itemId = "", locationId = "", defaultMonth = "", onCreated }: Props) {
  const { user } = useAuth();
  const create = useCreateOverride();
  const fixedDfu = Boolean(itemId && locationId);
  const [draft, setDraft] = useState<OverrideDraft>({
    item_id: itemId,
    location_id: locationId,
    start_month: defaultMonth,
    end_month: "",
    mode: "pct_change",
    value: "",
    reason_code: "promo",
    reason_text: "",
  });
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<Override | null>(null);

  if (!can(user, "override.create")) {
    return <p className="muted">Only planners and admins create overrides (you are {user?.role}).</p>;
  }

  const set = <K extends keyof OverrideDraft>(key: K, value: OverrideDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const submit = (submitNow: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    setDone(null);
    const result = toCreateBody(draft);
    if ("problem" in result) {
      setProblem(result.problem);
      return;
    }
    setProblem(null);
    create.mutate(
      { body: result.body, submit: submitNow },
      {
        onSuccess: (o) => {
          setDone(o);
          onCreated?.(o);
        },
      },
    );
  };

  return (
    <form className="override-form" onSubmit={submit(true)} aria-label="New override">
      {!fixedDfu && (
        <div className="form-row">
          <label className="field" htmlFor="ov-item">
            <span>Item</span>
            <input id="ov-item" value={draft.item_id} onChange={(e) => set("item_id", e.target.value)} required />
          </label>
          <label className="field" htmlFor="ov-location">
            <span>Location</span>
            <input id="ov-location" value={draft.location_id} onChange={(e) => set("location_id", e.target.value)} required />
          </label>
        </div>
      )}
      <div className="form-row">
        <label className="field" htmlFor="ov-start">
          <span>From month</span>
          <input id="ov-start" type="month" value={draft.start_month} onChange={(e) => set("start_month", e.target.value)} required />
        </label>
        <label className="field" htmlFor="ov-end">
          <span>To month (optional)</span>
          <input id="ov-end" type="month" value={draft.end_month} onChange={(e) => set("end_month", e.target.value)} />
        </label>
      </div>
      <div className="form-row">
        <label className="field" htmlFor="ov-mode">
          <span>Adjustment</span>
          <select id="ov-mode" value={draft.mode} onChange={(e) => set("mode", e.target.value as OverrideDraft["mode"])}>
            <option value="pct_change">% change vs statistical forecast</option>
            <option value="new_qty">New quantity (units / month)</option>
          </select>
        </label>
        <label className="field" htmlFor="ov-value">
          <span>{draft.mode === "pct_change" ? "Percent" : "Units"}</span>
          <input id="ov-value" inputMode="decimal" value={draft.value} onChange={(e) => set("value", e.target.value)} required />
        </label>
      </div>
      <div className="form-row">
        <label className="field" htmlFor="ov-reason">
          <span>Reason</span>
          <select id="ov-reason" value={draft.reason_code} onChange={(e) => set("reason_code", e.target.value as OverrideDraft["reason_code"])}>
            {REASON_CODES.map((r) => (
              <option key={r} value={r}>
                {r.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow" htmlFor="ov-text">
          <span>Justification</span>
          <input id="ov-text" value={draft.reason_text} onChange={(e) => set("reason_text", e.target.value)} maxLength={2000} />
        </label>
      </div>
      {(problem || create.error) && (
        <div className="status status-error" role="alert">
          {problem ?? create.error?.message}
        </div>
      )}
      {done && (
        <div className="status status-ok" role="status" data-testid="override-created">
          Override #{done.id} {done.status === "submitted" ? "submitted for approval" : "saved as draft"}.
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Submit for approval
        </button>
        <button type="button" disabled={create.isPending} onClick={() => submit(false)()}>
          Save draft
        </button>
      </div>
    </form>
  );
}
