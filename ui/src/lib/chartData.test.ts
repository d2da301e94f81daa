import { describe, expect, it } from "vitest";
import { heatColor, heatGrid, pivotSeries, seriesColor, sparkRows } from "./chartData";

describe("chart data shaping", () => {
  it("pivots long series into wide rows sorted by x, with gaps as missing keys", () => {
    const rows = pivotSeries(
      [
        { name: "theta", points: [{ m: "2024-02", v: 2 }, { m: "2024-01", v: 1 }] },
        { name: "naive", points: [{ m: "2024-02", v: 5 }, { m: "2024-03", v: null }] },
      ],
      (p) => p.m,
      (p) => p.v,
    );
    expect(rows).toEqual([
      { x: "2024-01", theta: 1 },
      { x: "2024-02", theta: 2, naive: 5 },
      { x: "2024-03", naive: null },
    ]);
  });

  it("sorts numeric x numerically (lags)", () => {
    const rows = pivotSeries([{ name: "m", points: [{ lag: 10 }, { lag: 2 }] }], (p) => p.lag, (p) => p.lag, "lag");
    expect(rows.map((r) => r.lag)).toEqual([2, 10]);
  });

  it("builds a heat grid with the value range", () => {
    const g = heatGrid(
      [
        { row: "A", col: "1", value: 80 },
        { row: "B", col: "0", value: 40 },
        { row: "A", col: "0", value: null },
      ],
      ["0", "1"],
    );
    expect(g.rows).toEqual(["A", "B"]);
    expect(g.cols).toEqual(["0", "1"]);
    expect(g.min).toBe(40);
    expect(g.max).toBe(80);
    expect(g.value("A", "1")).toBe(80);
    expect(g.value("A", "0")).toBeNull();
    expect(g.value("B", "1")).toBeNull();
  });

  it("colours heat cells from red (worst) to green (best)", () => {
    expect(heatColor(40, 40, 80)).toBe("hsl(0, 65%, 78%)");
    expect(heatColor(80, 40, 80)).toBe("hsl(120, 65%, 78%)");
    expect(heatColor(60, 40, 80)).toBe("hsl(60, 65%, 78%)");
    expect(heatColor(null, 0, 1)).toBe("#f1f3f5");
  });

  it("gives fixed colours to special series and stable ones to models", () => {
    expect(seriesColor("final")).toBe("#f08c00");
    expect(seriesColor("theta")).toBe(seriesColor("theta"));
  });

  it("orders sparkline points by month", () => {
    expect(
      sparkRows([
        { month: "2024-02-01", actual_qty: 3, forecast_qty: 4 },
        { month: "2024-01-01", actual_qty: 1, forecast_qty: 2 },
      ]),
    ).toEqual([
      { x: "2024-01", actual: 1, forecast: 2 },
      { x: "2024-02", actual: 3, forecast: 4 },
    ]);
  });
});
