import { describe, expect, it } from "vitest";
import { waterfallRows, type WaterfallCell } from "./logic";

const cell = (lag: number, final_qty: number | null): WaterfallCell => ({
  lag,
  planning_cycle: "2025-01",
  baseline_qty: 10,
  final_qty,
  n_dfus: 1,
  n_overridden: 0,
  baseline_accuracy_pct: null,
  final_accuracy_pct: null,
});

describe("waterfallRows", () => {
  it("indexes cells by lag and picks the lowest lag as the latest", () => {
    const rows = waterfallRows([
      { target_month: "2025-03-01", actual_qty: 12, cells: [cell(2, 9), cell(0, 11), cell(1, null)] },
      { target_month: "2025-04-01", actual_qty: null, cells: [] },
    ]);
    expect(rows[0]!.cells[0]!.final_qty).toBe(11);
    expect(rows[0]!.cells[3]).toBeUndefined();
    expect(rows[0]!.latest!.lag).toBe(0);
    expect(rows[1]!.latest).toBeUndefined();
    expect(rows[1]!.actual_qty).toBeNull();
  });
});
