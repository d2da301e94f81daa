// Exceptions: the worst DFUs (by error, bias or forecast value added) with actual-vs-forecast sparklines;
// a row (or its DFU link) opens the drilldown.
import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import { api, unwrap, type Ranking, type Schemas } from "../../api/client";
import { Sparkline } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import { sparkRows } from "../../lib/chartData";
import type { FilterSpec } from "../../lib/filters";
import { fmtMonth, fmtPct, fmtPoints, fmtQty, fmtSignedQty } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";
import { AnalyticsFilters } from "../analytics/AnalyticsFilters";
import { BASE_SPEC, baseQuery, modelId, type BaseFilters } from "../analytics/params";

const SPEC = {
  ...BASE_SPEC,
  rank_by: { kind: "enum", options: ["error", "bias", "fva"] satisfies Ranking[], default: "error" },
  n: { kind: "int", default: 20, min: 1, max: 200 },
  fva_vs: { kind: "enum", options: ["seasonal_naive", "external"], default: "seasonal_naive" },
} as const satisfies FilterSpec;

type Row = Schemas["ExceptionRow"];

function columns(): Column<Row>[] {
  return [
    { key: "rank", header: "#", align: "right" },
    {
      key: "dfu_id",
      header: "DFU",
      render: (r) => (
        <Link to={`/app/dfu/${encodeURIComponent(r.dfu_id)}`} onClick={(e) => e.stopPropagation()}>
          {r.dfu_id}
        </Link>
      ),
    },
    { key: "category", header: "Category", render: (r) => r.category ?? "—" },
    { key: "region", header: "Region", render: (r) => r.region ?? "—" },
    { key: "abc_class", header: "ABC" },
    { key: "cluster_label", header: "Cluster", render: (r) => r.cluster_label ?? "—" },
    { key: "actual_qty", header: "Actual", align: "right", render: (r) => fmtQty(r.actual_qty) },
    { key: "abs_error", header: "Abs. error", align: "right", render: (r) => fmtQty(r.abs_error) },
    { key: "accuracy_pct", header: "Accuracy", align: "right", render: (r) => fmtPct(r.accuracy_pct) },
    { key: "bias_units", header: "Bias (units)", align: "right", render: (r) => fmtSignedQty(r.bias_units) },
    { key: "fva_pts", header: "FVA", align: "right", render: (r) => fmtPoints(r.fva_pts) },
    {
      key: "series",
      header: "Actual vs forecast",
      sortable: false,
      render: (r) => <Sparkline rows={sparkRows(r.series)} label={`Actual and forecast of ${r.dfu_id}, ${r.series.length} months`} />,
    },
  ];
}

export default function ExceptionsPage() {
  const [f, setF] = useFilters(SPEC);
  const navigate = useNavigate();
  const query = { ...baseQuery(f), model_id: modelId(f.model), rank_by: f.rank_by, n: f.n, fva_vs: f.fva_vs };
  const page = useQuery({
    queryKey: ["exceptions", query],
    queryFn: async () => unwrap(await api.GET("/exceptions", { params: { query } })),
    placeholderData: (prev) => prev,
  });

  return (
    <div>
      <PageHeader title="Exceptions" />
      <AnalyticsFilters values={f} onChange={(p) => setF(p as Partial<BaseFilters>)}>
        <SelectField
          name="rank_by"
          label="Worst by"
          value={f.rank_by}
          options={[
            { value: "error", label: "Absolute error (units)" },
            { value: "bias", label: "Bias (units)" },
            { value: "fva", label: "Forecast value added" },
          ]}
          onChange={(rank_by) => setF({ rank_by })}
        />
        {f.rank_by === "fva" && (
          <SelectField
            name="fva_vs"
            label="FVA vs"
            value={f.fva_vs}
            options={[
              { value: "seasonal_naive", label: "Seasonal naive" },
              { value: "external", label: "Legacy forecast" },
            ]}
            onChange={(fva_vs) => setF({ fva_vs })}
          />
        )}
        <SelectField
          name="n"
          label="Show"
          value={String(f.n)}
          options={["10", "20", "50", "100"].map((v) => ({ value: v, label: `Top ${v}` }))}
          onChange={(v) => setF({ n: Number(v) })}
        />
      </AnalyticsFilters>
      <QueryView query={page} label="Loading exceptions…">
        {(p) => (
          <DataTable
            caption={`Worst ${p.items.length} of ${p.total} DFUs by ${p.rank_by}, ${p.model_id}, lag ${p.lag}, ${fmtMonth(p.window.from_month)} – ${fmtMonth(p.window.to_month)}. Enter opens the drilldown.`}
            columns={columns()}
            rows={p.items}
            rowKey={(r) => r.dfu_id}
            onRowActivate={(r) => navigate(`/app/dfu/${encodeURIComponent(r.dfu_id)}`)}
            testId="exceptions-table"
            empty="No DFUs for these filters."
          />
        )}
      </QueryView>
    </div>
  );
}
