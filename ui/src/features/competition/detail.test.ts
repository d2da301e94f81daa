import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { lagRows } from "./detail";

type Row = Schemas["ModelScoreDetailOut"];

function row(model_id: string, lag: number, segment: string, accuracy_pct: number): Row {
  return {
    model_id, lag, segment, accuracy_pct, n_rows: 10, wape: 1 - accuracy_pct / 100, bias: 0, srmse: null, rmsse: null, wape_cum3: null,
    fva_vs_baseline: null, fva_vs_external: null, gap_to_ceiling: null, coverage_80: null, coverage_95: null,
  };
}

describe("lagRows", () => {
  const detail: Schemas["CompetitionDetail"] = {
    run_id: "r1",
    lags: [0, 1],
    segments: [{ segment: "all", intermittent: false }, { segment: "lumpy", intermittent: true }],
    models: ["champion", "external", "seasonal_naive"],
    rows: [row("champion", 0, "all", 80), row("external", 0, "all", 77), row("champion", 1, "all", 79),
      row("seasonal_naive", 1, "all", 60), row("champion", 0, "lumpy", 10)],
  };

  it("puts each model of the segment beside the champion, lag by lag", () => {
    const rows = lagRows(detail, "all");
    expect(rows.map((r) => r.lag)).toEqual([0, 1]);
    expect(rows[0]!.champion?.accuracy_pct).toBe(80);
    expect(rows[0]!.legacy?.accuracy_pct).toBe(77);
    expect(rows[0]!.naive).toBeNull();
    expect(rows[1]!.naive?.accuracy_pct).toBe(60);
    expect(rows[1]!.legacy).toBeNull();
  });

  it("keeps segments apart", () => {
    const rows = lagRows(detail, "lumpy");
    expect(rows[0]!.champion?.accuracy_pct).toBe(10);
    expect(rows[0]!.legacy).toBeNull();
    expect(rows[1]!.champion).toBeNull();
  });
});
