// Waterfall: for each target month, what was published at lags 4..0 (final forecast, statistical beneath), the
// actual and Accuracy%; accuracy by lag of what was published over the window; and "did touching help?" (FVA of
// the approved overrides by override, planner, reason code or lag). Every control is in the URL.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { fmtMonth, fmtPct, fmtPoints, fmtQty } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";
import { AnalyticsFilters } from "../analytics/AnalyticsFilters";
import { BASE_SPEC, dimensionQuery, type BaseFilters } from "../analytics/params";
import { waterfallRows, type WaterfallRow } from "./logic";

const VALUE_BY = ["override", "planner", "reason_code", "lag"] as const;
const SPEC = {
  ...BASE_SPEC,
  window: { kind: "int", default: 12, min: 1, max: 12 },
  dfu: { kind: "list", default: [] },
  value_by: { kind: "enum", options: VALUE_BY, default: "reason_code" },
} as const satisfies FilterSpec;

type LagAccuracy = Schemas["LagAccuracy"];
type ValueRow = Schemas["OverrideValueRow"];

function Cell({ row, lag }: { row: WaterfallRow; lag: number }) {
  const c = row.cells[lag];
  if (!c) return <span className="muted">—</span>;
  const title = `cycle ${c.planning_cycle} · ${c.n_dfus} DFUs · ${c.n_overridden} overridden · baseline ${fmtQty(c.baseline_qty)}`;
  return (
    <span
      title={title}
      data-testid={`wf-${row.target_month.slice(0, 7)}-lag${lag}`}
      data-final={c.final_qty ?? ""}
      data-baseline={c.baseline_qty ?? ""}
    >
      <strong>{fmtQty(c.final_qty)}</strong>
      <br />
      <span className="muted small">stat {fmtQty(c.baseline_qty)}</span>
    </span>
  );
}

const ACCURACY_COLUMNS: Column<LagAccuracy>[] = [
  { key: "lag", header: "Lag", align: "right" },
  { key: "rows", header: "DFU-months", align: "right", render: (r) => fmtQty(r.final.n_rows), sortValue: (r) => r.final.n_rows },
  { key: "actual", header: "Actual", align: "right", render: (r) => fmtQty(r.final.actual_qty), sortValue: (r) => r.final.actual_qty },
  { key: "final", header: "Final accuracy", align: "right", render: (r) => fmtPct(r.final.accuracy_pct), sortValue: (r) => r.final.accuracy_pct },
  { key: "baseline", header: "Statistical accuracy", align: "right", render: (r) => fmtPct(r.baseline.accuracy_pct), sortValue: (r) => r.baseline.accuracy_pct },
  { key: "fva", header: "FVA (final vs statistical)", align: "right", render: (r) => fmtPoints(r.fva) },
];

const VALUE_COLUMNS: Column<ValueRow>[] = [
  { key: "key", header: "Key", render: (r) => <span title={r.detail ?? undefined}>{r.key}</span> },
  { key: "detail", header: "Override", render: (r) => r.detail ?? "—" },
  { key: "n_overrides", header: "Overrides", align: "right", render: (r) => fmtQty(r.n_overrides) },
  { key: "n_rows", header: "DFU-months", align: "right", render: (r) => fmtQty(r.n_rows) },
  { key: "actual_qty", header: "Actual", align: "right", render: (r) => fmtQty(r.actual_qty) },
  { key: "baseline_qty", header: "Statistical", align: "right", render: (r) => fmtQty(r.baseline_qty) },
  { key: "final_qty", header: "Final", align: "right", render: (r) => fmtQty(r.final_qty) },
  { key: "baseline_accuracy_pct", header: "Statistical accuracy", align: "right", render: (r) => fmtPct(r.baseline_accuracy_pct) },
  { key: "final_accuracy_pct", header: "Final accuracy", align: "right", render: (r) => fmtPct(r.final_accuracy_pct) },
  { key: "fva", header: "FVA", align: "right", render: (r) => fmtPoints(r.fva) },
];

export default function WaterfallPage() {
  const [f, setF] = useFilters(SPEC);
  const query = { window: f.window, ...dimensionQuery(f), dfu: f.dfu.length ? f.dfu : undefined };
  const waterfall = useQuery({
    queryKey: ["waterfall", query],
    queryFn: async () => unwrap(await api.GET("/waterfall", { params: { query } })),
    placeholderData: (prev) => prev,
  });
  const value = useQuery({
    queryKey: ["override-value", f.value_by],
    queryFn: async () => unwrap(await api.GET("/override-value", { params: { query: { by: f.value_by, limit: 200 } } })),
  });

  return (
    <div>
      <PageHeader title="Waterfall" />
      <AnalyticsFilters
        values={f}
        onChange={(p) => setF(p as Partial<BaseFilters>)}
        show={{ lag: false, model: false, dims: ["category", "location", "item"] }}
      />
      {f.dfu.length > 0 && (
        <p className="small">
          DFU {f.dfu.join(", ")}{" "}
          <button type="button" className="link" onClick={() => setF({ dfu: [] })}>
            all DFUs
          </button>
        </p>
      )}
      <QueryView query={waterfall} label="Loading the waterfall…">
        {(w) => {
          const rows = waterfallRows(w.months);
          const columns: Column<WaterfallRow>[] = [
            { key: "target_month", header: "Target month", render: (r) => fmtMonth(r.target_month) },
            ...w.lags.map((lag) => ({
              key: `lag${lag}`,
              header: `Lag ${lag}`,
              align: "right" as const,
              render: (r: WaterfallRow) => <Cell row={r} lag={lag} />,
              sortValue: (r: WaterfallRow) => r.cells[lag]?.final_qty ?? null,
            })),
            { key: "actual_qty", header: "Actual", align: "right", render: (r) => fmtQty(r.actual_qty) },
            {
              key: "accuracy",
              header: "Final accuracy (latest lag)",
              align: "right",
              render: (r) => fmtPct(r.latest?.final_accuracy_pct),
              sortValue: (r) => r.latest?.final_accuracy_pct ?? null,
            },
          ];
          return (
            <>
              <p className="muted small">
                Each cell: the final forecast published at that lag (bold) and the statistical forecast beneath it, summed over the
                slice. Lag k was published in cycle target month − k − 1. Hover a cell for its cycle and DFU count.
              </p>
              <DataTable
                caption="Forecast waterfall: rows are target months, columns the lag it was published at"
                columns={columns}
                rows={rows}
                rowKey={(r) => r.target_month}
                testId="waterfall-table"
                empty="No published forecast in this window yet (the forecast and final jobs record versions)."
              />
              <DataTable
                caption="Accuracy by lag of what was published (window, DFU-months with an actual)"
                columns={ACCURACY_COLUMNS}
                rows={w.accuracy_by_lag}
                rowKey={(r) => String(r.lag)}
                testId="waterfall-accuracy"
                empty="No published month has an actual yet."
              />
            </>
          );
        }}
      </QueryView>
      <h2>Did touching help?</h2>
      <SelectField
        name="value_by"
        label="Group by"
        value={f.value_by}
        options={VALUE_BY.map((b) => ({ value: b, label: b.replace("_", " ") }))}
        onChange={(value_by) => setF({ value_by })}
      />
      <QueryView query={value} label="Loading override value…">
        {(v) => (
          <DataTable
            caption="Forecast value added by approved overrides: final with the override vs the statistical forecast it replaced"
            columns={VALUE_COLUMNS}
            rows={v.items}
            rowKey={(r) => r.key}
            testId="override-value"
            empty="No approved override has an actual yet."
          />
        )}
      </QueryView>
    </div>
  );
}
