import { describe, expect, it } from "vitest";
import { CHAMPION_BAND, drilldownRows, finalDiffs } from "./shape";

const answer = {
  actuals: [
    { month: "2024-01-01", qty: 10 },
    { month: "2024-02-01", qty: 12 },
  ],
  external: { model_id: "external", points: [{ target_month: "2024-02-01", fcst_qty: 11 }] },
  backtest: [
    { model_id: "theta", points: [{ target_month: "2024-02-01", fcst_qty: 13 }] },
    { model_id: "champion", points: [{ target_month: "2024-02-01", fcst_qty: 13 }] },
  ],
  baseline: [
    { model_id: "theta", points: [{ target_month: "2024-03-01", fcst_qty: 14 }] },
    { model_id: "champion", points: [{ target_month: "2024-03-01", fcst_qty: 14 }, { target_month: "2024-04-01", fcst_qty: 15 }] },
    { model_id: "adida", points: [{ target_month: "2024-03-01", fcst_qty: 9 }] },
  ],
  final: {
    model_id: "final",
    points: [
      { target_month: "2024-03-01", fcst_qty: 28, override_id: "7" },
      { target_month: "2024-04-01", fcst_qty: 15, override_id: null },
    ],
  },
};

describe("drilldown shaping", () => {
  it("merges every series into month rows", () => {
    const { rows, series, models } = drilldownRows(answer);
    expect(series).toEqual(["actual", "external", "champion", "final", "adida", "theta"]);
    expect(models).toEqual(["adida", "theta"]);
    expect(rows).toEqual([
      { month: "2024-01-01", actual: 10 },
      { month: "2024-02-01", actual: 12, external: 11, theta: 13, champion: 13 },
      { month: "2024-03-01", theta: 14, champion: 14, adida: 9, final: 28, overridden: true },
      { month: "2024-04-01", champion: 15, final: 15 },
    ]);
  });

  it("lists the months where final differs from the champion", () => {
    expect(finalDiffs(drilldownRows(answer).rows)).toEqual([{ month: "2024-03-01", champion: 14, final: 28 }]);
  });

  it("carries the champion's 80% interval where both bounds are served", () => {
    const withBand = {
      ...answer,
      baseline: [
        { model_id: "champion", points: [
          { target_month: "2024-03-01", fcst_qty: 14, fcst_lo_80: 10, fcst_hi_80: 19 },
          { target_month: "2024-04-01", fcst_qty: 15, fcst_lo_80: null, fcst_hi_80: 20 },
        ] },
        { model_id: "theta", points: [{ target_month: "2024-03-01", fcst_qty: 14, fcst_lo_80: 1, fcst_hi_80: 2 }] },
      ],
    };
    const rows = drilldownRows(withBand).rows;
    expect(rows.find((r) => r.month === "2024-03-01")?.[CHAMPION_BAND]).toEqual([10, 19]);
    expect(rows.find((r) => r.month === "2024-04-01")?.[CHAMPION_BAND]).toBeUndefined();
  });

  it("copes with no forecasts at all", () => {
    const { rows, series } = drilldownRows({ actuals: [], external: null, backtest: [], baseline: [], final: null });
    expect(rows).toEqual([]);
    expect(series).toEqual([]);
  });
});
