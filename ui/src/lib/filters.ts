// Filter state <-> URL search params. Every page keeps its filters in the URL so a link reproduces the view.
// A page declares a spec (name -> kind + default); parsing is forgiving (a bad value falls back to the
// default), serialising omits defaults and keeps the spec's key order, so equal views give equal links.

export type FieldSpec =
  | { kind: "string"; default: string }
  | { kind: "int"; default: number | null; min?: number; max?: number }
  | { kind: "enum"; options: readonly string[]; default: string }
  | { kind: "list"; default: readonly string[] };

export type FilterSpec = Record<string, FieldSpec>;

type ValueOf<F extends FieldSpec> = F extends { kind: "int" }
  ? F["default"] extends null
    ? number | null
    : number
  : F extends { kind: "list" }
    ? string[]
    : F extends { kind: "enum"; options: readonly (infer O)[] }
      ? O
      : string;

export type FilterValues<S extends FilterSpec> = { [K in keyof S]: ValueOf<S[K]> };

function parseField(field: FieldSpec, raw: string | null, all: string[]): unknown {
  switch (field.kind) {
    case "string":
      return raw ?? field.default;
    case "enum":
      return raw !== null && field.options.includes(raw) ? raw : field.default;
    case "int": {
      if (raw === null || raw.trim() === "" || !/^-?\d+$/.test(raw.trim())) return field.default;
      const n = Number(raw);
      if (field.min !== undefined && n < field.min) return field.default;
      if (field.max !== undefined && n > field.max) return field.default;
      return n;
    }
    case "list": {
      if (all.length === 0) return [...field.default];
      // both ?m=a&m=b and ?m=a,b are accepted; empty entries are dropped, duplicates removed
      const values = all.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
      return [...new Set(values)];
    }
  }
}

/** The filter values a URL's search params hold (defaults where absent or invalid). */
export function parseFilters<S extends FilterSpec>(params: URLSearchParams, spec: S): FilterValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec)) {
    out[name] = parseField(field, params.get(name), params.getAll(name));
  }
  return out as FilterValues<S>;
}

function isDefault(field: FieldSpec, value: unknown): boolean {
  if (field.kind === "list") {
    const v = value as string[];
    return v.length === field.default.length && v.every((x, i) => x === field.default[i]);
  }
  return value === field.default;
}

/** Search params for `values`: defaults omitted, lists comma-joined, keys in spec order. */
export function toSearchParams<S extends FilterSpec>(values: FilterValues<S>, spec: S): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, field] of Object.entries(spec)) {
    const value = (values as Record<string, unknown>)[name];
    if (value === null || value === undefined || isDefault(field, value)) continue;
    if (field.kind === "list") {
      const list = value as string[];
      if (list.length) params.set(name, list.join(","));
    } else if (value !== "") {
      params.set(name, String(value));
    }
  }
  return params;
}

/** New search params: the current ones with `patch` applied (params not in the spec are kept). */
export function patchSearchParams<S extends FilterSpec>(
  current: URLSearchParams,
  spec: S,
  patch: Partial<FilterValues<S>>,
): URLSearchParams {
  const merged = { ...parseFilters(current, spec), ...patch } as FilterValues<S>;
  const next = toSearchParams(merged, spec);
  for (const [key, value] of current) {
    if (!(key in spec)) next.append(key, value);
  }
  return next;
}

/** Query parameters for an API call: nulls, empty strings and empty lists dropped. */
export function apiQuery(values: Record<string, unknown>): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) out[key] = value as string[];
    } else {
      out[key] = value as string | number;
    }
  }
  return out;
}
