// React hook over lib/filters.ts: the page's filters live in the URL (react-router search params).
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import { parseFilters, patchSearchParams, type FilterSpec, type FilterValues } from "./filters";

export function useFilters<S extends FilterSpec>(spec: S): [FilterValues<S>, (patch: Partial<FilterValues<S>>) => void] {
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => parseFilters(params, spec), [params, spec]);
  const update = useCallback(
    (patch: Partial<FilterValues<S>>) => setParams((current) => patchSearchParams(current, spec, patch), { replace: false }),
    [setParams, spec],
  );
  return [values, update];
}
