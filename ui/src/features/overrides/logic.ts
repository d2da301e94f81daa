// Pure helpers of the overrides pages (tested in logic.test.ts).
import type { Schemas } from "../../api/client";
import { fmtMonth, fmtQty } from "../../lib/format";

export type Override = Schemas["OverridePublic"];
export type AuditEntry = Schemas["AuditEntry"];

/** "+15%" / "= 1,200 units" for an override's adjustment. */
export function describeAdjustment(o: Pick<Override, "new_qty" | "pct_change">): string {
  if (o.new_qty !== null && o.new_qty !== undefined) return `= ${fmtQty(o.new_qty)} units`;
  if (o.pct_change !== null && o.pct_change !== undefined) return `${o.pct_change > 0 ? "+" : ""}${o.pct_change}%`;
  return "—";
}

/** "Mar 2025" or "Mar 2025 – May 2025". */
export function describeMonths(o: Pick<Override, "start_month" | "end_month">): string {
  return o.start_month === o.end_month ? fmtMonth(o.start_month) : `${fmtMonth(o.start_month)} – ${fmtMonth(o.end_month)}`;
}

export type OverrideActions = Schemas["OverrideActions"];
export type ActionName = Schemas["OverrideAction"]["action"];
export type ActionMap = Record<ActionName, { allowed: boolean; reason: string | null }>;

/** GET /overrides/{id}/actions as a lookup by action (undefined while loading). Who may submit, decide or
 * withdraw an override, and why not (role, ownership, four-eyes, status), is the API's rule: nothing here. */
export function actionMap(a: OverrideActions | undefined): ActionMap | undefined {
  if (!a) return undefined;
  const out = {} as ActionMap;
  for (const x of a.actions) out[x.action] = { allowed: x.allowed, reason: x.reason ?? null };
  return out;
}

export type FieldChange = { field: string; before: unknown; after: unknown };

const IGNORED = new Set(["version", "updated_at"]);

/** Fields an audit entry changed (before vs after), ignoring bookkeeping fields; all fields on create. */
export function auditChanges(entry: Pick<AuditEntry, "before" | "after">): FieldChange[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: FieldChange[] = [];
  for (const field of keys) {
    if (IGNORED.has(field)) continue;
    const b = (before as Record<string, unknown>)[field];
    const a = (after as Record<string, unknown>)[field];
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ field, before: b ?? null, after: a ?? null });
  }
  return out;
}

export type OverrideDraft = {
  item_id: string;
  location_id: string;
  start_month: string; // YYYY-MM
  end_month: string; // YYYY-MM ("" = start month)
  mode: "pct_change" | "new_qty";
  value: string;
  reason_code: Schemas["OverrideCreate"]["reason_code"];
  reason_text: string;
};

/** The POST /overrides body for a form draft, or the first problem with it (checked again by the API). */
export function toCreateBody(d: OverrideDraft): { body: Schemas["OverrideCreate"] } | { problem: string } {
  if (!d.item_id.trim() || !d.location_id.trim()) return { problem: "item and location are required" };
  if (!/^\d{4}-\d{2}$/.test(d.start_month)) return { problem: "start month is required (YYYY-MM)" };
  if (d.end_month && !/^\d{4}-\d{2}$/.test(d.end_month)) return { problem: "end month must be YYYY-MM" };
  if (d.end_month && d.end_month < d.start_month) return { problem: "end month is before start month" };
  const value = Number(d.value);
  if (d.value.trim() === "" || !Number.isFinite(value)) return { problem: "enter a number" };
  if (d.mode === "new_qty" && value < 0) return { problem: "a quantity cannot be negative" };
  if (d.mode === "pct_change" && (value < -100 || value > 1000)) return { problem: "percent change must be between -100 and 1000" };
  const body: Schemas["OverrideCreate"] = {
    item_id: d.item_id.trim(),
    location_id: d.location_id.trim(),
    start_month: `${d.start_month}-01`,
    end_month: `${d.end_month || d.start_month}-01`,
    reason_code: d.reason_code,
    reason_text: d.reason_text,
    ...(d.mode === "new_qty" ? { new_qty: value } : { pct_change: value }),
  };
  return { body };
}

export const REASON_CODES: readonly Schemas["OverrideCreate"]["reason_code"][] = [
  "promo",
  "event",
  "market_intel",
  "supply",
  "correction",
  "other",
];
