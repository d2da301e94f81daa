// Clusters: profiles of the current demand-pattern clustering (table + volume/variability scatter, bubble
// size = DFUs) and the members of the selected cluster (paged, keyboard-openable into the drilldown).
import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { CartesianGrid, Cell, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";
import { api, unwrap, type Schemas } from "../../api/client";
import { ChartCard } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { fmtMonth, fmtQty, fmtRatioPct } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";

type Profile = Schemas["ClusterProfileOut"];
type Member = Schemas["ClusterMember"];

const SPEC = {
  cluster: { kind: "int", default: null, min: 0 },
  page: { kind: "int", default: 0, min: 0 },
} as const satisfies FilterSpec;
const PAGE = 50;
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

const fmt2 = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(2));

const PROFILE_COLUMNS: Column<Profile>[] = [
  { key: "cluster_id", header: "#", align: "right" },
  { key: "cluster_label", header: "Label" },
  { key: "n_dfus", header: "DFUs", align: "right" },
  { key: "share", header: "Share", align: "right", render: (p) => fmtRatioPct(p.share) },
  { key: "volume", header: "Volume (median, units/month)", align: "right", render: (p) => fmtQty(p.volume) },
  { key: "cv", header: "CV", align: "right", render: (p) => fmt2(p.cv) },
  { key: "seasonality", header: "Seasonality", align: "right", render: (p) => fmt2(p.seasonality) },
  { key: "trend", header: "Trend", align: "right", render: (p) => fmt2(p.trend) },
  { key: "adi", header: "ADI", align: "right", render: (p) => fmt2(p.adi) },
];

const MEMBER_COLUMNS: Column<Member>[] = [
  { key: "dfu_id", header: "DFU" },
  { key: "category", header: "Category", render: (m) => m.category ?? "—" },
  { key: "region", header: "Region", render: (m) => m.region ?? "—" },
  { key: "abc_class", header: "ABC" },
  { key: "xyz_class", header: "XYZ" },
  { key: "qty_12m", header: "12-month units", align: "right", render: (m) => fmtQty(m.qty_12m) },
  { key: "champion_model_id", header: "Champion", render: (m) => m.champion_model_id ?? "—" },
];

export default function ClustersPage() {
  const [f, setF] = useFilters(SPEC);
  const navigate = useNavigate();
  const clusters = useQuery({ queryKey: ["clusters"], queryFn: async () => unwrap(await api.GET("/clusters")) });
  const members = useQuery({
    queryKey: ["clusters", f.cluster, "members", f.page],
    queryFn: async () =>
      unwrap(
        await api.GET("/clusters/{cluster_id}/members", {
          params: { path: { cluster_id: f.cluster! }, query: { limit: PAGE, offset: f.page * PAGE, sort: "qty_12m" } },
        }),
      ),
    enabled: f.cluster !== null,
    placeholderData: (prev) => prev,
  });

  return (
    <div>
      <PageHeader title="Clusters" />
      <QueryView query={clusters} label="Loading clusters…">
        {(c) => (
          <>
            <p className="muted small">
              Current clustering at {fmtMonth(c.items[0]?.fcst_origin)} ({c.items.length} clusters). Select a cluster to list its DFUs.
            </p>
            <div>
              <DataTable
                caption="Cluster profiles (medians of member DFUs)"
                columns={PROFILE_COLUMNS}
                rows={c.items}
                rowKey={(p) => String(p.cluster_id)}
                selectedKey={f.cluster === null ? null : String(f.cluster)}
                onRowActivate={(p) => setF({ cluster: p.cluster_id, page: 0 })}
                testId="clusters-table"
              />
              <ChartCard title="Volume vs variability" note="x: median monthly units (log), y: CV; bubble size: DFUs. Click a bubble to list its members.">
                <div style={{ width: "100%", height: 300 }} role="img" aria-label="Scatter of cluster volume against variability">
                  <ResponsiveContainer>
                    <ScatterChart margin={{ top: 10, right: 20, bottom: 10, left: 0 }}>
                      <CartesianGrid stroke="#e9ecef" />
                      <XAxis type="number" dataKey="volume" name="volume" scale="log" domain={["auto", "auto"]} tickFormatter={(v) => fmtQty(Number(v), true)} fontSize={12} />
                      <YAxis type="number" dataKey="cv" name="CV" fontSize={12} />
                      <ZAxis type="number" dataKey="n_dfus" range={[80, 800]} name="DFUs" />
                      <Tooltip
                        formatter={(v, name) => [typeof v === "number" ? v.toFixed(2) : String(v), String(name)]}
                        labelFormatter={() => ""}
                      />
                      <Scatter
                        data={c.items.filter((p) => (p.volume ?? 0) > 0).map((p) => ({ ...p, name: p.cluster_label }))}
                        onClick={(point) => {
                          const id = (point as { payload?: { cluster_id?: number } }).payload?.cluster_id;
                          if (id !== undefined) setF({ cluster: id, page: 0 });
                        }}
                        isAnimationActive={false}
                      >
                        {c.items
                          .filter((p) => (p.volume ?? 0) > 0)
                          .map((p) => (
                            <Cell key={p.cluster_id} fill={COLORS[p.cluster_id % COLORS.length]} stroke={f.cluster === p.cluster_id ? "#000" : undefined} strokeWidth={2} />
                          ))}
                      </Scatter>
                    </ScatterChart>
                  </ResponsiveContainer>
                </div>
              </ChartCard>
            </div>
          </>
        )}
      </QueryView>
      {f.cluster !== null && (
        <section aria-label="Cluster members" style={{ marginTop: "1rem" }}>
          <QueryView query={members} label="Loading members…">
            {(m) => (
              <>
                <DataTable
                  caption={`Cluster ${m.cluster_id} · ${m.cluster_label}: ${m.total} DFUs (largest first). Enter opens the drilldown.`}
                  columns={MEMBER_COLUMNS}
                  rows={m.items}
                  rowKey={(r) => r.dfu_id}
                  onRowActivate={(r) => navigate(`/app/dfu/${encodeURIComponent(r.dfu_id)}`)}
                  testId="members-table"
                />
                {m.total > PAGE && (
                  <nav className="pager" aria-label="Member pages">
                    <button type="button" disabled={f.page === 0} onClick={() => setF({ page: f.page - 1 })}>
                      Previous
                    </button>
                    <span>
                      Page {f.page + 1} of {Math.ceil(m.total / PAGE)}
                    </span>
                    <button type="button" disabled={(f.page + 1) * PAGE >= m.total} onClick={() => setF({ page: f.page + 1 })}>
                      Next
                    </button>
                  </nav>
                )}
              </>
            )}
          </QueryView>
        </section>
      )}
    </div>
  );
}
