import { describe, expect, it } from "vitest";
import { apiQuery, parseFilters, patchSearchParams, toSearchParams, type FilterSpec } from "./filters";

const spec = {
  window: { kind: "int", default: 3, min: 1, max: 12 },
  dimension: { kind: "enum", options: ["cluster", "brand", "region"], default: "cluster" },
  lag: { kind: "int", default: null, min: 0, max: 12 },
  models: { kind: "list", default: [] },
  q: { kind: "string", default: "" },
} as const satisfies FilterSpec;

describe("filters <-> URL", () => {
  it("gives defaults for an empty URL", () => {
    expect(parseFilters(new URLSearchParams(""), spec)).toEqual({
      window: 3,
      dimension: "cluster",
      lag: null,
      models: [],
      q: "",
    });
  });

  it("parses values and falls back on invalid ones", () => {
    const f = parseFilters(new URLSearchParams("window=6&dimension=brand&lag=2&models=theta,lgbm_global&q=x"), spec);
    expect(f).toEqual({ window: 6, dimension: "brand", lag: 2, models: ["theta", "lgbm_global"], q: "x" });
    const bad = parseFilters(new URLSearchParams("window=99&dimension=nope&lag=abc"), spec);
    expect(bad.window).toBe(3);
    expect(bad.dimension).toBe("cluster");
    expect(bad.lag).toBeNull();
  });

  it("accepts repeated list params and removes duplicates", () => {
    const f = parseFilters(new URLSearchParams("models=a&models=b,a&models="), spec);
    expect(f.models).toEqual(["a", "b"]);
  });

  it("omits defaults when serialising, in spec order", () => {
    const params = toSearchParams({ window: 3, dimension: "region" as const, lag: 0, models: ["b", "a"], q: "" }, spec);
    expect(params.toString()).toBe("dimension=region&lag=0&models=b%2Ca");
  });

  it("round-trips", () => {
    const values = { window: 12, dimension: "brand" as const, lag: 4, models: ["theta"], q: "A 1" };
    expect(parseFilters(toSearchParams(values, spec), spec)).toEqual(values);
  });

  it("patches and keeps params that are not filters", () => {
    const next = patchSearchParams(new URLSearchParams("window=6&tab=audit"), spec, { dimension: "brand" });
    expect(next.get("window")).toBe("6");
    expect(next.get("dimension")).toBe("brand");
    expect(next.get("tab")).toBe("audit");
    expect(patchSearchParams(next, spec, { window: 3 }).has("window")).toBe(false);
  });

  it("drops empty values from API queries", () => {
    expect(apiQuery({ a: "", b: null, c: [], d: 0, e: ["x"], f: "y" })).toEqual({ d: 0, e: ["x"], f: "y" });
  });
});
