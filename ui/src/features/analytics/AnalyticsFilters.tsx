// The filter bar of the accuracy pages: window, lag, model and DFU dimension filters (all in the URL).
import { FilterBar, SelectField } from "../../components/Field";
import { dimensionIndex, useDimensions, valueLabel } from "./hooks";
import { LAG_OPTIONS, WINDOW_OPTIONS, type BaseFilters, type FilterDimension } from "./params";

type Show = { window?: boolean; lag?: boolean; model?: boolean; dims?: readonly FilterDimension[] };

const DEFAULT_DIMS: readonly FilterDimension[] = ["cluster", "category", "region", "abc_class"];

export function AnalyticsFilters({
  values,
  onChange,
  show = {},
  children,
}: {
  values: BaseFilters;
  onChange: (patch: Partial<BaseFilters>) => void;
  show?: Show;
  children?: React.ReactNode;
}) {
  const dims = useDimensions();
  const index = dimensionIndex(dims.data?.dimensions);
  const models = index.get("model_id")?.values.map((v) => v.value) ?? [];
  const modelOptions = [...new Set(["champion", ...models, values.model])].map((m) => ({ value: m, label: m }));
  const shownDims = show.dims ?? DEFAULT_DIMS;

  return (
    <FilterBar>
      {show.window !== false && (
        <SelectField
          name="window"
          label="Window"
          value={String(values.window)}
          options={WINDOW_OPTIONS}
          onChange={(v) => onChange({ window: Number(v) })}
        />
      )}
      {show.lag !== false && <SelectField name="lag" label="Lag" value={values.lag} options={LAG_OPTIONS} onChange={(lag) => onChange({ lag })} />}
      {show.model !== false && <SelectField name="model" label="Model" value={values.model} options={modelOptions} onChange={(model) => onChange({ model })} />}
      {shownDims.map((dim) => {
        const d = index.get(dim);
        const selected = values[dim];
        const current = selected.length === 1 ? selected[0]! : selected.length > 1 ? "__multi" : "";
        const options = [
          { value: "", label: "All" },
          ...(selected.length > 1 ? [{ value: "__multi", label: `${selected.length} selected` }] : []),
          ...(d?.values ?? []).map((v) => ({ value: v.value, label: valueLabel(index, dim, v.value) })),
        ];
        return (
          <SelectField
            key={dim}
            name={`dim-${dim}`}
            label={dim.replace("_", " ")}
            value={current}
            options={options}
            onChange={(v) => v !== "__multi" && onChange({ [dim]: v ? [v] : [] } as Partial<BaseFilters>)}
          />
        );
      })}
      {children}
    </FilterBar>
  );
}
