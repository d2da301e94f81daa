import { describe, expect, it } from "vitest";
import { auditChanges, canSubmit, canWithdraw, decisionBlocker, describeAdjustment, describeMonths, toCreateBody, type Override } from "./logic";

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

  // users as GET /auth/me serves them (permissions from the API's table, written out here by hand)
  const P = {
    viewer: [],
    planner: ["override.create", "override.withdraw", "override.comment", "competition.run"],
    approver: ["override.decide", "override.withdraw", "override.comment", "audit.read", "competition.run", "competition.save"],
    admin: [
      "override.create",
      "override.decide",
      "override.withdraw",
      "override.comment",
      "audit.read",
      "competition.run",
      "competition.save",
    ],
  } as const;
  const u = (username: string, role: keyof typeof P) => ({ username, role, permissions: [...P[role]] });

  it("explains who may decide", () => {
    expect(decisionBlocker(base, u("planner", "planner"))).toMatch(/role 'planner' cannot approve/);
    expect(decisionBlocker(base, u("viewer", "viewer"))).toMatch(/role 'viewer'/);
    expect(decisionBlocker(base, u("approver", "approver"))).toBeNull();
    expect(decisionBlocker(base, u("planner", "admin"))).toMatch(/four-eyes/);
    expect(decisionBlocker({ ...base, status: "approved" }, u("approver", "approver"))).toMatch(/only submitted/);
  });

  it("lets only the owner planner or an admin submit a draft", () => {
    const draft = { ...base, status: "draft" as const, submitted_by: null };
    expect(canSubmit(draft, u("planner", "planner"))).toBe(true);
    expect(canSubmit(draft, u("planner2", "planner"))).toBe(false);
    expect(canSubmit(draft, u("admin", "admin"))).toBe(true);
    expect(canSubmit(base, u("planner", "planner"))).toBe(false);
  });

  it("lets the creator planner, approvers and admins withdraw an approved override", () => {
    const approved = { ...base, status: "approved" as const, decided_by: "approver" };
    expect(canWithdraw(approved, u("planner", "planner"))).toBe(true);
    expect(canWithdraw(approved, u("planner2", "planner"))).toBe(false);
    expect(canWithdraw(approved, u("approver2", "approver"))).toBe(true);
    expect(canWithdraw(approved, u("admin", "admin"))).toBe(true);
    expect(canWithdraw(approved, u("viewer", "viewer"))).toBe(false);
    expect(canWithdraw(base, u("admin", "admin"))).toBe(false); // submitted: not yet in the final forecast
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
