import { describe, expect, it } from "vitest";
import { actionMap, auditChanges, describeAdjustment, describeMonths, toCreateBody, type Override } from "./logic";

const base: Override = {
  id: 1,
  dfu_id: "I1|L1",
  item_id: "I1",
  location_id: "L1",
  start_month: "2025-03-01",
  end_month: "2025-05-01",
  new_qty: null,
  pct_change: 15,
  reason_code: "promo",
  reason_text: "",
  status: "submitted",
  created_by: "planner",
  submitted_by: "planner",
  decided_by: null,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  submitted_at: "2025-01-01T00:00:00Z",
  decided_at: null,
  version: 2,
  n_months: 3,
};

describe("override logic", () => {
  it("describes adjustments and months", () => {
    expect(describeAdjustment(base)).toBe("+15%");
    expect(describeAdjustment({ new_qty: 1200, pct_change: null })).toBe("= 1,200 units");
    expect(describeAdjustment({ new_qty: null, pct_change: -20 })).toBe("-20%");
    expect(describeMonths(base)).toBe("Mar 2025 – May 2025");
    expect(describeMonths({ start_month: "2025-03-01", end_month: "2025-03-01" })).toBe("Mar 2025");
  });

  it("reads GET /overrides/{id}/actions into a lookup (the rule itself is the API's)", () => {
    expect(actionMap(undefined)).toBeUndefined();
    const m = actionMap({
      override_id: 1,
      version: 2,
      actions: [
        { action: "edit", allowed: false, reason: "override 1 is submitted: only draft overrides can be edited" },
        { action: "submit", allowed: false, reason: "override 1 is submitted: only draft overrides can be submitted" },
        { action: "approve", allowed: true, reason: null },
        { action: "reject", allowed: true },
        { action: "withdraw", allowed: false, reason: "override 1 is submitted: only approved overrides can be withdrawn" },
      ],
    });
    expect(m?.approve).toEqual({ allowed: true, reason: null });
    expect(m?.reject).toEqual({ allowed: true, reason: null });
    expect(m?.submit.allowed).toBe(false);
    expect(m?.withdraw.reason).toMatch(/only approved/);
  });

  it("lists the fields an audit entry changed", () => {
    expect(
      auditChanges({
        before: { status: "draft", version: 1, pct_change: 15, updated_at: "a" },
        after: { status: "submitted", version: 2, pct_change: 15, updated_at: "b", submitted_by: "planner" },
      }),
    ).toEqual([
      { field: "status", before: "draft", after: "submitted" },
      { field: "submitted_by", before: null, after: "planner" },
    ]);
    expect(auditChanges({ before: null, after: { status: "draft" } })).toEqual([{ field: "status", before: null, after: "draft" }]);
  });

  it("builds the create body or names the problem", () => {
    const draft = {
      item_id: " I1 ",
      location_id: "L1",
      start_month: "2025-03",
      end_month: "",
      mode: "pct_change" as const,
      value: "12.5",
      reason_code: "promo" as const,
      reason_text: "spring promo",
    };
    expect(toCreateBody(draft)).toEqual({
      body: {
        item_id: "I1",
        location_id: "L1",
        start_month: "2025-03-01",
        end_month: "2025-03-01",
        pct_change: 12.5,
        reason_code: "promo",
        reason_text: "spring promo",
      },
    });
    expect(toCreateBody({ ...draft, mode: "new_qty", value: "40", end_month: "2025-04" })).toMatchObject({
      body: { new_qty: 40, end_month: "2025-04-01" },
    });
    expect(toCreateBody({ ...draft, value: "" })).toEqual({ problem: "enter a number" });
    expect(toCreateBody({ ...draft, value: "2000" })).toEqual({ problem: "percent change must be between -100 and 1000" });
    expect(toCreateBody({ ...draft, end_month: "2025-01" })).toEqual({ problem: "end month is before start month" });
  });
});
