// The analytics filters every accuracy page shares (window, lag, model, DFU dimension filters), their URL
// spec and their translation into the API's query parameters (tested in params.test.ts).
import type { AbcClass, GetQuery, LagChoice, ModelId, XyzClass } from "../../api/client";
import type { FilterSpec, FilterValues } from "../../lib/filters";

export const LAG_OPTIONS = [
  { value: "execution", label: "Execution lag (per DFU)" },
  { value: "0", label: "Lag 0" },
  { value: "1", label: "Lag 1" },
  { value: "2", label: "Lag 2" },
  { value: "3", label: "Lag 3" },
  { value: "4", label: "Lag 4" },
  { value: "all", label: "All lags pooled" },
] as const satisfies readonly { value: LagChoice; label: string }[];
/** Compile-time: every lag the API accepts has an option (a new one breaks the build). */
export const LAGS_COVERED: Exclude<LagChoice, (typeof LAG_OPTIONS)[number]["value"]> extends never ? true : never = true;

export const WINDOW_OPTIONS = [
  { value: "1", label: "Last month" },
  { value: "3", label: "Last 3 months" },
  { value: "6", label: "Last 6 months" },
  { value: "12", label: "Last 12 months" },
] as const;

/** DFU attributes the API filters on (repeatable query parameters, OR within, AND across). */
export const FILTER_DIMENSIONS = [
  "cluster",
  "category",
  "brand",
  "supplier",
  "region",
  "location",
  "item",
  "customer",
  "abc_class",
  "xyz_class",
] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

const dimensionSpec = Object.fromEntries(FILTER_DIMENSIONS.map((d) => [d, { kind: "list", default: [] }])) as unknown as {
  [K in FilterDimension]: { kind: "list"; default: readonly string[] };
};

export const BASE_SPEC = {
  window: { kind: "int", default: 6, min: 1, max: 12 },
  lag: { kind: "enum", options: LAG_OPTIONS.map((o) => o.value), default: "execution" },
  model: { kind: "string", default: "champion" },
  ...dimensionSpec,
} as const satisfies FilterSpec;

export type BaseFilters = FilterValues<typeof BASE_SPEC>;

/** The DFU filter parameters as the API types them (generated). */
export type DimensionQuery = { [K in FilterDimension]?: NonNullable<GetQuery<"/kpis">[K]> };

/** A model id from the URL: typed as the API's set; a value outside it is the API's 422 (shown to the user). */
export function modelId(value: string): ModelId {
  return value as ModelId;
}

/** The DFU filters of `f` as API query parameters (cluster ids as numbers; empty filters left out). */
export function dimensionQuery(f: Pick<BaseFilters, FilterDimension>): DimensionQuery {
  const out: DimensionQuery = {};
  for (const d of FILTER_DIMENSIONS) {
    const values = f[d];
    if (!values.length) continue;
    if (d === "cluster") {
      const ids = values.map(Number).filter((n) => Number.isInteger(n) && n >= 0);
      if (ids.length) out.cluster = ids;
    } else if (d === "abc_class") {
      out.abc_class = values as AbcClass[]; // the API refuses (422, with the allowed values) anything else
    } else if (d === "xyz_class") {
      out.xyz_class = values as XyzClass[];
    } else {
      out[d] = [...values];
    }
  }
  return out;
}

/** window + lag + DFU filters, the common part of /kpis, /trends, /accuracy/slice, /exceptions. */
export function baseQuery(f: BaseFilters): { window: number; lag: LagChoice } & DimensionQuery {
  return { window: f.window, lag: f.lag, ...dimensionQuery(f) };
}

/** Human summary of the active DFU filters ("cluster 1, 2; region North"), "" when none. */
export function describeFilters(f: Pick<BaseFilters, FilterDimension>, labels?: (dim: string, value: string) => string): string {
  return FILTER_DIMENSIONS.filter((d) => f[d].length)
    .map((d) => `${d.replace("_", " ")} ${f[d].map((v) => (labels ? labels(d, v) : v)).join(", ")}`)
    .join("; ");
}
