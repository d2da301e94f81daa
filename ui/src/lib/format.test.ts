import { describe, expect, it } from "vitest";
import {
  DASH,
  addMonths,
  fmtDuration,
  fmtMonth,
  fmtPct,
  fmtPoints,
  fmtQty,
  fmtRatio,
  fmtRatioPct,
  fmtSignedQty,
  fmtSignedRatioPct,
} from "./format";

describe("format", () => {
  it("formats quantities with separators and compact suffixes", () => {
    expect(fmtQty(1234567)).toBe("1,234,567");
    expect(fmtQty(12.34)).toBe("12.3");
    expect(fmtQty(1234567, true)).toBe("1.2M");
    expect(fmtQty(25000, true)).toBe("25.0k");
    expect(fmtQty(999, true)).toBe("999");
    expect(fmtQty(null)).toBe(DASH);
    expect(fmtQty(Number.NaN)).toBe(DASH);
  });

  it("formats percentages and ratios", () => {
    expect(fmtPct(87.25)).toBe("87.3%");
    expect(fmtPct(87.25, 2)).toBe("87.25%");
    expect(fmtRatioPct(0.1234)).toBe("12.3%");
    expect(fmtRatioPct(undefined)).toBe(DASH);
    expect(fmtRatio(1.2345)).toBe("1.23");
    expect(fmtRatio(null)).toBe(DASH);
  });

  it("signs bias and points, and never shows -0", () => {
    expect(fmtSignedRatioPct(0.052)).toBe("+5.2%");
    expect(fmtSignedRatioPct(-0.1)).toBe("−10.0%");
    expect(fmtSignedRatioPct(-0.00001)).toBe("0.0%");
    expect(fmtPoints(2.54)).toBe("+2.5 pts");
    expect(fmtPoints(-1)).toBe("−1.0 pts");
    expect(fmtPoints(0)).toBe("0.0 pts");
  });

  it("formats months and durations", () => {
    expect(fmtMonth("2024-03-01")).toBe("Mar 2024");
    expect(fmtMonth("2024-12")).toBe("Dec 2024");
    expect(fmtMonth("forward")).toBe("forward");
    expect(fmtMonth(null)).toBe(DASH);
    expect(fmtDuration(0.85)).toBe("850 ms");
    expect(fmtDuration(12.34)).toBe("12.3 s");
    expect(fmtDuration(245)).toBe("4 min 05 s");
  });

  it("signs units", () => {
    expect(fmtSignedQty(-1589)).toBe("−1,589");
    expect(fmtSignedQty(172.4)).toBe("+172");
    expect(fmtSignedQty(-0.01)).toBe("0");
    expect(fmtSignedQty(null)).toBe(DASH);
  });

  it("adds months across year boundaries", () => {
    expect(addMonths("2024-11-01", 3)).toBe("2025-02-01");
    expect(addMonths("2024-01-01", -1)).toBe("2023-12-01");
    expect(addMonths("2024-05-01", 0)).toBe("2024-05-01");
  });
});
