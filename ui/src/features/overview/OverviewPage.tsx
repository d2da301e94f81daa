// Overview: KPI cards of one model (accuracy %, WAPE, MAPE, bias, volumes) over a window, and the accuracy
// trend by model. Filters live in the URL.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { ChartCard, KpiCard, MultiLineChart } from "../../components/charts";
import { PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import { pivotSeries } from "../../lib/chartData";
import type { FilterSpec } from "../../lib/filters";
import { fmtMonth, fmtPct, fmtQty, fmtRatioPct, fmtSignedRatioPct, shortMonth } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";
import { AnalyticsFilters } from "../analytics/AnalyticsFilters";
import { BASE_SPEC, baseQuery, modelId, type BaseFilters } from "../analytics/params";

const SPEC = {
  ...BASE_SPEC,
  metric: { kind: "enum", options: ["accuracy_pct", "wape", "bias", "actual_qty"], default: "accuracy_pct" },
} as const satisfies FilterSpec;

const METRICS = [
  { value: "accuracy_pct", label: "Accuracy %" },
  { value: "wape", label: "WAPE" },
  { value: "bias", label: "Bias" },
  { value: "actual_qty", label: "Actual volume" },
] as const;

type Kpis = Schemas["KpiResponse"];
type TrendPoint = Schemas["TrendPoint"];

function metricValue(p: TrendPoint, metric: (typeof METRICS)[number]["value"]): number | null {
  return p[metric] ?? null;
}

const METRIC_FORMAT: Record<string, (v: number) => string> = {
  accuracy_pct: (v) => fmtPct(v),
  wape: (v) => fmtRatioPct(v),
  bias: (v) => fmtSignedRatioPct(v),
  actual_qty: (v) => fmtQty(v, true),
};

export default function OverviewPage() {
  const [f, setF] = useFilters(SPEC);
  const query = baseQuery(f);
  const kpis = useQuery({
    queryKey: ["kpis", query, f.model],
    queryFn: async () => unwrap(await api.GET("/kpis", { params: { query: { ...query, model_id: modelId(f.model) } } })),
  });
  const trends = useQuery({
    queryKey: ["trends", query],
    queryFn: async () => unwrap(await api.GET("/trends", { params: { query } })),
  });

  return (
    <div>
      <PageHeader title="Overview" />
      <AnalyticsFilters values={f} onChange={(p) => setF(p as Partial<BaseFilters>)} />
      <QueryView query={kpis} label="Loading KPIs…">
        {(k) => <KpiCards k={k} />}
      </QueryView>
      <ChartCard title="Trend by model" testId="trend-chart" note="Per target month, at the selected lag; external = the legacy forecast.">
        <div className="filter-bar">
          <SelectField name="metric" label="Metric" value={f.metric} options={METRICS} onChange={(metric) => setF({ metric })} />
        </div>
        <QueryView query={trends} label="Loading trends…">
          {(t) => {
            const rows = pivotSeries(
              t.series.map((s) => ({ name: s.model_id, points: s.points })),
              (p) => shortMonth(p.month),
              (p) => metricValue(p, f.metric as (typeof METRICS)[number]["value"]),
              "month",
            );
            const lines = t.series.map((s) => ({
              key: s.model_id,
              width: s.model_id === f.model || s.model_id === "champion" ? 3 : 1.5,
              dashed: s.model_id === "external",
            }));
            return <MultiLineChart rows={rows} xKey="month" lines={lines} yFormat={METRIC_FORMAT[f.metric]} xFormat={(m) => fmtMonth(String(m))} />;
          }}
        </QueryView>
      </ChartCard>
    </div>
  );
}

function KpiCards({ k }: { k: Kpis }) {
  const period = `${fmtMonth(k.window.from_month)} – ${fmtMonth(k.window.to_month ?? k.window.anchor_month)}`;
  const note = `${k.model_id}, lag ${k.lag}`;
  const cards: { id: string; label: string; raw: number | null; text: string; note?: string }[] = [
    { id: "accuracy_pct", label: "Accuracy", raw: k.accuracy_pct, text: fmtPct(k.accuracy_pct), note },
    { id: "wape", label: "WAPE", raw: k.wape, text: fmtRatioPct(k.wape) },
    { id: "mape", label: "MAPE", raw: k.mape, text: fmtPct(k.mape) },
    { id: "bias", label: "Bias", raw: k.bias, text: fmtSignedRatioPct(k.bias), note: "> 0 over-forecast" },
    { id: "actual_qty", label: "Actual volume", raw: k.actual_qty, text: fmtQty(k.actual_qty), note: "units" },
    { id: "forecast_qty", label: "Forecast volume", raw: k.forecast_qty, text: fmtQty(k.forecast_qty), note: "units" },
    { id: "n_dfus", label: "DFUs", raw: k.n_dfus, text: fmtQty(k.n_dfus), note: `${fmtQty(k.n_rows)} DFU-months` },
  ];
  return (
    <section aria-label={`KPIs, ${period}`}>
      <p className="muted small" data-testid="kpi-period">
        {period}
      </p>
      <div className="grid grid-kpi">
        {cards.map((c) => (
          <div key={c.id} data-value={c.raw ?? ""} data-testid={`kpi-${c.id}`}>
            <KpiCard label={c.label} value={c.text} note={c.note} />
          </div>
        ))}
      </div>
    </section>
  );
}
