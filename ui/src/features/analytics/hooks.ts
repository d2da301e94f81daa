// Shared analytics queries (typed by the generated schema).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

export type Dimension = Schemas["Dimension"];

/** Every slicing dimension with its values (long-lived: values change only with a new snapshot). */
export function useDimensions() {
  return useQuery({
    queryKey: ["meta", "dimensions"],
    queryFn: async () => unwrap(await api.GET("/meta/dimensions", { params: { query: { max_values: 200 } } })),
    staleTime: 5 * 60_000,
  });
}

/** name -> dimension, for lookups of labels ("cluster 2" -> "seasonal high-volume"). */
export function dimensionIndex(dims: readonly Dimension[] | undefined): Map<string, Dimension> {
  return new Map((dims ?? []).map((d) => [d.name, d]));
}

/** A value's readable label within a dimension ("2" in cluster -> "2 · seasonal high-volume"). */
export function valueLabel(index: Map<string, Dimension>, dim: string, value: string): string {
  const label = index.get(dim)?.values.find((v) => v.value === value)?.label;
  return label ? `${value} · ${label}` : value;
}
