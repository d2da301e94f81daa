import { describe, expect, it } from "vitest";
import { parseFilters, toSearchParams } from "../../lib/filters";
import { BASE_SPEC, baseQuery, describeFilters, dimensionQuery } from "./params";

describe("analytics params", () => {
  it("defaults to 6 months, execution lag, champion, no filters", () => {
    const f = parseFilters(new URLSearchParams(""), BASE_SPEC);
    expect(baseQuery(f)).toEqual({ window: 6, lag: "execution" });
    expect(f.model).toBe("champion");
    expect(toSearchParams(f, BASE_SPEC).toString()).toBe("");
  });

  it("turns URL filters into API query parameters", () => {
    const f = parseFilters(new URLSearchParams("window=12&lag=2&cluster=1,x,3&region=North&model=theta"), BASE_SPEC);
    expect(baseQuery(f)).toEqual({ window: 12, lag: "2", cluster: [1, 3], region: ["North"] });
    expect(f.model).toBe("theta");
  });

  it("drops a cluster filter with no valid id", () => {
    const f = parseFilters(new URLSearchParams("cluster=abc"), BASE_SPEC);
    expect(dimensionQuery(f)).toEqual({});
  });

  it("describes active filters", () => {
    const f = parseFilters(new URLSearchParams("cluster=1,2&abc_class=A"), BASE_SPEC);
    expect(describeFilters(f)).toBe("cluster 1, 2; abc class A");
    expect(describeFilters(f, (d, v) => (d === "cluster" ? `#${v}` : v))).toBe("cluster #1, #2; abc class A");
    expect(describeFilters(parseFilters(new URLSearchParams(""), BASE_SPEC))).toBe("");
  });
});
