import { describe, expect, it } from "vitest";
import { applySuggestion, cellText, chartData, editDistance, isNumericColumn, MAX_SERIES, refusalOf, similarity, tableRows, X_KEY } from "./logic";

describe("chat refusals", () => {
  it("reads a 400 with refused: true as a refusal", () => {
    expect(refusalOf(400, { detail: "refused: only SELECT statements are allowed", refused: true, conversation_id: "c1" })).toEqual({
      detail: "refused: only SELECT statements are allowed",
      refused: true,
      conversation_id: "c1",
    });
    expect(refusalOf(400, { detail: "refused: x", refused: true })).toEqual({ detail: "refused: x", refused: true, conversation_id: null });
  });

  it("leaves other errors alone", () => {
    expect(refusalOf(400, { detail: "unknown filter 'colour'" })).toBeNull(); // bad input, not a refusal
    expect(refusalOf(404, { detail: "unknown conversation_id" })).toBeNull();
    expect(refusalOf(500, { detail: "x", refused: true })).toBeNull();
    expect(refusalOf(400, "refused")).toBeNull();
    expect(refusalOf(400, undefined)).toBeNull();
  });
});

describe("chat result table", () => {
  const columns = ["model_id", "accuracy_pct", "model_id"];
  const rows = [
    ["theta", 81.25, "x"],
    ["tsb", null, "y"],
  ];

  it("keys columns by position (names may repeat) and rows by index", () => {
    expect(tableRows(columns, rows)).toEqual([
      { _key: "0", c0: "theta", c1: 81.25, c2: "x" },
      { _key: "1", c0: "tsb", c1: null, c2: "y" },
    ]);
    expect(tableRows(["a", "b"], [[1]])).toEqual([{ _key: "0", c0: 1, c1: null }]);
  });

  it("detects numeric columns from the first non-null value", () => {
    expect(isNumericColumn(rows, 0)).toBe(false);
    expect(isNumericColumn([[null], [3]], 0)).toBe(true);
    expect(isNumericColumn([[null]], 0)).toBe(false);
  });

  it("formats cells", () => {
    expect(cellText(81.25, "accuracy_pct")).toBe("81.3%");
    expect(cellText(-2.04, "fva_naive_pp")).toBe("-2.0 pp");
    expect(cellText(1234567, "actual_qty")).toBe("1,234,567");
    expect(cellText(1234.5678, "revenue")).toBe("1,234.57");
    expect(cellText(2025, "year")).toBe("2025");
    expect(cellText(3, "lag")).toBe("3");
    expect(cellText(null, "actual_qty")).toBe("—");
    expect(cellText(Number.NaN, "x")).toBe("—");
    expect(cellText("2026-05-01", "month")).toBe("2026-05-01");
    expect(cellText(true, "flag")).toBe("true");
  });
});

describe("chat chart data", () => {
  it("is null for table answers, empty results and unknown columns", () => {
    expect(chartData(["a"], [[1]], { type: "table" })).toBeNull();
    expect(chartData(["month", "actual_qty"], [], { type: "line", x: "month", y: "actual_qty" })).toBeNull();
    expect(chartData(["month", "actual_qty"], [["2026-01-01", 1]], { type: "line", x: "month", y: "revenue" })).toBeNull();
  });

  it("sorts a line chart by month and pivots the series column", () => {
    const c = chartData(
      ["month", "model_id", "accuracy_pct"],
      [
        ["2026-06-01", "theta", 80],
        ["2026-05-01", "theta", 78.5],
        ["2026-05-01", "lgbm_global", 82],
        ["2026-06-01", "lgbm_global", null],
      ],
      { type: "line", x: "month", y: "accuracy_pct", series: "model_id", title: "accuracy % by month" },
    );
    expect(c).not.toBeNull();
    expect(c!.type).toBe("line");
    expect(c!.title).toBe("accuracy % by month");
    expect(c!.series).toEqual(["theta", "lgbm_global"]);
    expect(c!.rows).toEqual([
      { [X_KEY]: "2026-05", theta: 78.5, lgbm_global: 82 },
      { [X_KEY]: "2026-06", theta: 80, lgbm_global: null },
    ]);
    expect(c!.omittedSeries).toBe(0);
  });

  it("keeps a bar chart in the answer's order (a ranking stays ranked), one series named after y", () => {
    const c = chartData(
      ["item_id", "actual_qty"],
      [
        ["I000009", 900],
        ["I000002", 700],
        ["I000010", 650],
      ],
      { type: "bar", x: "item_id", y: "actual_qty", series: null, title: null },
    );
    expect(c!.series).toEqual(["actual_qty"]);
    expect(c!.title).toBe("actual_qty by item_id");
    expect(c!.rows.map((r) => r[X_KEY])).toEqual(["I000009", "I000002", "I000010"]);
    expect(c!.rows.map((r) => r.actual_qty)).toEqual([900, 700, 650]);
  });

  it("keeps numeric x (years) numeric and non-numbers out of y", () => {
    const c = chartData(["year", "revenue"], [[2025, 10.5], [2024, "n/a"]], { type: "line", x: "year", y: "revenue" });
    expect(c!.rows).toEqual([
      { [X_KEY]: 2024, revenue: null },
      { [X_KEY]: 2025, revenue: 10.5 },
    ]);
  });

  it(`draws at most ${MAX_SERIES} series and counts the rest`, () => {
    const rows = Array.from({ length: MAX_SERIES + 3 }, (_, i) => ["2026-01-01", `I${i}`, i]);
    const c = chartData(["month", "item_id", "actual_qty"], rows, { type: "line", x: "month", y: "actual_qty", series: "item_id" });
    expect(c!.series).toHaveLength(MAX_SERIES);
    expect(c!.series[0]).toBe("I0");
    expect(c!.omittedSeries).toBe(3);
    expect(Object.keys(c!.rows[0]!)).toHaveLength(MAX_SERIES + 1);
  });
});

describe("did you mean", () => {
  it("measures edits with transpositions as one", () => {
    expect(editDistance("regoin", "region")).toBe(1);
    expect(editDistance("brnad", "brand")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(similarity("I000999", "I000019")).toBeCloseTo(1 - 2 / 7);
  });

  it("replaces the word closest to the suggestion", () => {
    expect(applySuggestion("units sold of I000999 in 2025", "I000019")).toEqual({ question: "units sold of I000019 in 2025", replaced: "I000999" });
    expect(applySuggestion("accuarcy by Regoin for theta", "region")).toEqual({ question: "accuarcy by region for theta", replaced: "Regoin" });
    expect(applySuggestion("sales by DE-Nrth", "DE-North")).toEqual({ question: "sales by DE-North", replaced: "DE-Nrth" });
  });

  it("appends the suggestion when no word is close (the box is only filled)", () => {
    expect(applySuggestion("how are we doing for Beverages? ", "accuracy %")).toEqual({
      question: "how are we doing for Beverages? accuracy %",
      replaced: null,
    });
  });
});
