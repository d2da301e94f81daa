// Accuracy explorer: pooled accuracy sliced by any dimension x lag x model x timeframe; the lag curve; a
// dimension x lag heat table. Every control is in the URL. Activating a row drills in (filter on that value).
import { useQueries, useQuery } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, unwrap, type LagChoice, type Schemas, type SliceDimension } from "../../api/client";
import { ChartCard, HeatTable, MultiLineChart } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader, SelectField } from "../../components/Field";
import { ErrorBox, Loading, QueryView } from "../../components/Status";
import { heatGrid, pivotSeries } from "../../lib/chartData";
import type { FilterSpec } from "../../lib/filters";
import { fmtMonth, fmtPct, fmtQty, fmtRatioPct, fmtSignedRatioPct } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";
import { AnalyticsFilters } from "../analytics/AnalyticsFilters";
import { dimensionIndex, useDimensions } from "../analytics/hooks";
import { BASE_SPEC, baseQuery, describeFilters, FILTER_DIMENSIONS, modelId, type BaseFilters, type FilterDimension } from "../analytics/params";

export const SLICE_BY = [
  "category",
  "brand",
  "supplier",
  "region",
  "abc_class",
  "xyz_class",
  "cluster",
  "location",
  "item",
  "customer",
  "dfu",
  "lag",
  "model",
  "timeframe",
] as const satisfies readonly SliceDimension[];
/** Compile-time: every dimension the API slices by is offered. */
export const SLICE_BY_COVERED: Exclude<SliceDimension, (typeof SLICE_BY)[number]> extends never ? true : never = true;

const SPEC = {
  ...BASE_SPEC,
  by: { kind: "enum", options: SLICE_BY, default: "cluster" },
  timeframe: { kind: "list", default: [] },
} as const satisfies FilterSpec;

type SliceRow = Schemas["SliceRow"];
const LAGS: LagChoice[] = ["0", "1", "2", "3", "4"];
const HEAT_ROWS = 15;

const COLUMNS: Column<SliceRow>[] = [
  { key: "key", header: "Value", render: (r) => (r.label && r.label !== r.key ? `${r.key ?? "(none)"} · ${r.label}` : (r.key ?? "(none)")), sortValue: (r) => r.key },
  { key: "n_dfus", header: "DFUs", align: "right", render: (r) => fmtQty(r.n_dfus) },
  { key: "n_rows", header: "Rows", align: "right", render: (r) => fmtQty(r.n_rows) },
  { key: "actual_qty", header: "Actual", align: "right", render: (r) => fmtQty(r.actual_qty) },
  { key: "forecast_qty", header: "Forecast", align: "right", render: (r) => fmtQty(r.forecast_qty) },
  { key: "accuracy_pct", header: "Accuracy", align: "right", render: (r) => fmtPct(r.accuracy_pct) },
  { key: "wape", header: "WAPE", align: "right", render: (r) => fmtRatioPct(r.wape) },
  { key: "bias", header: "Bias", align: "right", render: (r) => fmtSignedRatioPct(r.bias) },
  { key: "mape", header: "MAPE", align: "right", render: (r) => fmtPct(r.mape) },
];

export default function AccuracyPage() {
  const [f, setF] = useFilters(SPEC);
  const navigate = useNavigate();
  const dims = useDimensions();
  const index = dimensionIndex(dims.data?.dimensions);
  const base = baseQuery(f);
  const model = f.by === "model" ? undefined : modelId(f.model);
  const lag = f.by === "lag" ? undefined : f.lag;
  const common = { ...base, lag, model_id: model, timeframe: f.timeframe.length ? f.timeframe : undefined };

  const slice = useQuery({
    queryKey: ["slice", f.by, common],
    queryFn: async () =>
      unwrap(await api.GET("/accuracy/slice", { params: { query: { ...common, by: f.by, limit: 500, sort: "actual_qty" } } })),
    placeholderData: (prev) => prev,
  });

  const curveModels = [...new Set([modelId(f.model), modelId("external"), modelId("seasonal_naive")])];
  const curve = useQuery({
    queryKey: ["lag-curve", base, curveModels],
    queryFn: async () =>
      unwrap(await api.GET("/accuracy/lag-curve", { params: { query: { ...base, lag: undefined, model_id: curveModels } } })),
  });

  const heatEnabled = f.by !== "lag";
  const heat = useQueries({
    queries: LAGS.map((k) => ({
      queryKey: ["slice", f.by, { ...common, lag: k }],
      queryFn: async () =>
        unwrap(await api.GET("/accuracy/slice", { params: { query: { ...common, lag: k, by: f.by, limit: 500, sort: "actual_qty" } } })),
      enabled: heatEnabled,
    })),
  });

  const activate = (row: SliceRow) => {
    if (row.key === null || row.key === undefined) return;
    if (f.by === "dfu") {
      navigate(`/app/dfu/${encodeURIComponent(row.key)}`);
    } else if ((FILTER_DIMENSIONS as readonly string[]).includes(f.by)) {
      setF({ [f.by]: [row.key], by: f.by === "cluster" ? "category" : "dfu" } as Partial<typeof f>);
    } else if (f.by === "model") {
      setF({ model: row.key, by: "cluster" });
    } else if (f.by === "lag") {
      setF({ lag: row.key as LagChoice, by: "cluster" }); // a key of the by=lag slice is a lag
    } else if (f.by === "timeframe") {
      setF({ timeframe: [row.key], by: "cluster" });
    }
  };

  const timeframes = index.get("timeframe")?.values.map((v) => v.value) ?? [];
  const filtersText = describeFilters(f, (d, v) => {
    const label = index.get(d)?.values.find((x) => x.value === v)?.label;
    return label ? `${v} (${label})` : v;
  });

  return (
    <div>
      <PageHeader title="Accuracy explorer" />
      <AnalyticsFilters values={f} onChange={(p) => setF(p as Partial<BaseFilters>)} show={{ lag: f.by !== "lag", model: f.by !== "model" }}>
        <SelectField name="by" label="Slice by" value={f.by} options={SLICE_BY.map((b) => ({ value: b, label: b.replace("_", " ") }))} onChange={(by) => setF({ by })} />
      </AnalyticsFilters>
      {timeframes.length > 0 && (
        <div className="chips" role="group" aria-label="Backtest timeframes">
          <span className="muted small">Timeframes:</span>
          {timeframes.map((t) => {
            const on = f.timeframe.includes(t);
            return (
              <button
                key={t}
                type="button"
                className="chip"
                aria-pressed={on}
                onClick={() => setF({ timeframe: on ? f.timeframe.filter((x) => x !== t) : [...f.timeframe, t].sort() })}
              >
                {t}
              </button>
            );
          })}
        </div>
      )}
      {filtersText && (
        <p className="muted small" data-testid="active-filters">
          Filtered: {filtersText}{" "}
          <button type="button" className="link-button" onClick={() => setF(Object.fromEntries(FILTER_DIMENSIONS.map((d: FilterDimension) => [d, []])) as Partial<typeof f>)}>
            clear
          </button>
        </p>
      )}
      <div style={{ marginBottom: "1rem" }}>
        <div>
          <QueryView query={slice} label="Loading slice…">
            {(page) => (
              <DataTable
                caption={`Accuracy by ${page.by.replace("_", " ")}: ${page.total} value${page.total === 1 ? "" : "s"}, ${page.model_id ?? "every model"}, lag ${page.lag}, ${fmtMonth(page.window.from_month)} – ${fmtMonth(page.window.to_month)}${page.total > page.items.length ? ` (first ${page.items.length})` : ""}`}
                columns={COLUMNS}
                rows={page.items}
                rowKey={(r) => r.key ?? "(none)"}
                onRowActivate={activate}
                testId="slice-table"
                empty="No accuracy rows for these filters."
              />
            )}
          </QueryView>
        </div>
      </div>
      <div className="grid grid-2">
        <div>
          <ChartCard title="Lag curve" note="Accuracy % by lag (0 = one month ahead), pooled over the window." testId="lag-curve">
            <QueryView query={curve} label="Loading lag curve…">
              {(c) => (
                <MultiLineChart
                  rows={pivotSeries(c.series.map((s) => ({ name: s.model_id, points: s.points })), (p) => p.lag, (p) => p.accuracy_pct, "lag")}
                  xKey="lag"
                  lines={c.series.map((s) => ({ key: s.model_id, dots: true, width: s.model_id === f.model ? 3 : 1.5, dashed: s.model_id === "external" }))}
                  yFormat={(v) => fmtPct(v, 0)}
                  xFormat={(v) => `lag ${v}`}
                  height={260}
                />
              )}
            </QueryView>
          </ChartCard>
        </div>
      {heatEnabled && (
        <ChartCard title={`Accuracy % by ${f.by.replace("_", " ")} × lag`} testId="heatmap" note={`Top ${HEAT_ROWS} values by actual volume; red = least accurate, green = most.`}>
          <HeatSection results={heat} order={slice.data?.items.slice(0, HEAT_ROWS).map((r) => r.key ?? "(none)")} />
        </ChartCard>
      )}
      </div>
    </div>
  );
}

function HeatSection({ results, order }: { results: { data?: Schemas["SlicePage"]; isPending: boolean; error: unknown }[]; order?: string[] }) {
  const failed = results.find((r) => r.error);
  if (failed) return <ErrorBox error={failed.error} />;
  if (results.some((r) => r.isPending) || !order) return <Loading label="Loading heat table…" />;
  const wanted = new Set(order);
  const cells = [];
  for (const key of order) cells.push({ row: key, col: "0", value: null as number | null }); // row order = volume order
  for (const [i, r] of results.entries()) {
    for (const item of r.data?.items ?? []) {
      const key = item.key ?? "(none)";
      if (wanted.has(key)) cells.push({ row: key, col: LAGS[i]!, value: item.accuracy_pct });
    }
  }
  const labels = new Map((results[0]?.data?.items ?? []).map((i) => [i.key ?? "(none)", i.label]));
  const grid = heatGrid(cells, LAGS);
  return (
    <HeatTable
      grid={grid}
      caption="Accuracy % per value and lag"
      rowHeader="Value"
      colLabel={(c) => `lag ${c}`}
      rowLabel={(r) => (labels.get(r) && labels.get(r) !== r ? `${r} · ${labels.get(r)}` : r)}
      format={(v) => fmtPct(v)}
      testId="heat-table"
    />
  );
}
