// Runs & data quality: pipeline runs (with MLflow links), current table snapshots, quality-gate results
// (failures first on request) and quarantined rows by rule and per table.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { FilterBar, PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { fmtDateTime, fmtDuration, fmtQty } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";

type Run = Schemas["PipelineRunOut"];
type Gate = Schemas["GateResultOut"];

const SPEC = {
  job: { kind: "string", default: "" },
  gates: { kind: "enum", options: ["all", "failed"], default: "all" },
} as const satisfies FilterSpec;

/** Seconds between two ISO timestamps (null if unfinished). */
export function runSeconds(r: Pick<Run, "started_at" | "finished_at">): number | null {
  if (!r.finished_at) return null;
  return (new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000;
}

const RUN_COLUMNS: Column<Run>[] = [
  { key: "started_at", header: "Started", render: (r) => fmtDateTime(r.started_at) },
  { key: "job", header: "Job" },
  { key: "status", header: "Status", render: (r) => <span className={`badge ${r.status === "succeeded" ? "ok" : r.status === "failed" ? "bad" : ""}`}>{r.status}</span> },
  { key: "duration", header: "Duration", align: "right", render: (r) => fmtDuration(runSeconds(r)), sortValue: runSeconds },
  { key: "run_id", header: "Run id", render: (r) => <code>{r.run_id}</code> },
  {
    key: "mlflow",
    header: "MLflow",
    sortable: false,
    render: (r) =>
      r.mlflow_url ? (
        <a href={r.mlflow_url} target="_blank" rel="noreferrer">
          open run
        </a>
      ) : r.mlflow_run_id ? (
        <code title="local MLflow store: open with `mlflow ui`">{r.mlflow_run_id}</code>
      ) : (
        "—"
      ),
  },
];

const GATE_COLUMNS: Column<Gate>[] = [
  { key: "checked_at", header: "Checked", render: (g) => fmtDateTime(g.checked_at) },
  { key: "table_name", header: "Table" },
  { key: "gate", header: "Gate" },
  { key: "column_name", header: "Column", render: (g) => g.column_name ?? "—" },
  { key: "passed", header: "Result", render: (g) => <span className={`badge ${g.passed ? "ok" : "bad"}`}>{g.passed ? "passed" : "FAILED"}</span>, sortValue: (g) => (g.passed ? 1 : 0) },
  { key: "observed", header: "Observed", align: "right", render: (g) => (g.observed === null ? "—" : String(Number(g.observed.toFixed(4)))) },
  { key: "threshold", header: "Threshold", align: "right", render: (g) => (g.threshold === null ? "—" : String(g.threshold)) },
  { key: "detail", header: "Detail" },
];

export default function RunsPage() {
  const [f, setF] = useFilters(SPEC);
  const runs = useQuery({
    queryKey: ["runs", f.job],
    queryFn: async () => unwrap(await api.GET("/runs", { params: { query: { job: f.job || undefined, limit: 100 } } })),
  });
  const gates = useQuery({
    queryKey: ["gates", f.gates],
    queryFn: async () => unwrap(await api.GET("/gates", { params: { query: { passed: f.gates === "failed" ? false : undefined, limit: 200 } } })),
  });
  const quarantine = useQuery({ queryKey: ["quarantine"], queryFn: async () => unwrap(await api.GET("/quarantine/summary")) });
  const jobs = ["bronze", "silver", "gold", "forecast", "final"];

  return (
    <div>
      <PageHeader title="Runs & data quality" />
      <FilterBar>
        <SelectField name="job" label="Job" value={f.job} options={[{ value: "", label: "All jobs" }, ...jobs.map((j) => ({ value: j, label: j }))]} onChange={(job) => setF({ job })} />
        <SelectField
          name="gates"
          label="Gates"
          value={f.gates}
          options={[
            { value: "all", label: "All results" },
            { value: "failed", label: "Failures only" },
          ]}
          onChange={(g) => setF({ gates: g })}
        />
      </FilterBar>
      <h2>Pipeline runs</h2>
      <QueryView query={runs} label="Loading runs…">
        {(p) => (
          <>
            <DataTable caption={`${p.total} run${p.total === 1 ? "" : "s"}, newest first`} columns={RUN_COLUMNS} rows={p.items} rowKey={(r) => r.run_id} testId="runs-table" empty="No runs recorded yet." />
            <details className="card" style={{ marginTop: "0.75rem" }}>
              <summary>Current table snapshots ({p.snapshots.length})</summary>
              <ul className="plain-list small">
                {p.snapshots.map((s) => (
                  <li key={s.table}>
                    <code>{s.table}</code> {s.snapshot_id ?? "not published"}
                  </li>
                ))}
              </ul>
            </details>
          </>
        )}
      </QueryView>
      <div>
        <section aria-labelledby="quarantine-title">
          <h2 id="quarantine-title">Quarantine</h2>
          <QueryView query={quarantine} label="Loading quarantine…">
            {(q) => (
              <>
                <p className="muted small">{fmtQty(q.total)} rows in silver.quarantine.</p>
                <DataTable
                  caption="Quarantined rows by rule"
                  columns={[
                    { key: "source_table", header: "Table" },
                    { key: "rule", header: "Rule" },
                    { key: "rows", header: "Rows", align: "right", render: (r) => fmtQty(r.rows) },
                  ]}
                  rows={q.by_rule}
                  rowKey={(r) => `${r.source_table}/${r.rule}`}
                  testId="quarantine-table"
                  empty="Nothing quarantined."
                />
                <div style={{ marginTop: "0.75rem" }}>
                  <DataTable
                    caption="Landed = accepted + quarantined, per table"
                    columns={[
                      { key: "source_table", header: "Table" },
                      { key: "rows_landed", header: "Landed", align: "right", render: (r) => fmtQty(r.rows_landed) },
                      { key: "rows_accepted", header: "Accepted", align: "right", render: (r) => fmtQty(r.rows_accepted) },
                      { key: "rows_quarantined", header: "Quarantined", align: "right", render: (r) => fmtQty(r.rows_quarantined) },
                    ]}
                    rows={q.by_table}
                    rowKey={(r) => r.source_table}
                  />
                </div>
              </>
            )}
          </QueryView>
        </section>
        <section aria-labelledby="gates-title">
          <h2 id="gates-title">Quality gates</h2>
          <QueryView query={gates} label="Loading gates…">
            {(g) => (
              <DataTable
                caption={`${g.total} gate result${g.total === 1 ? "" : "s"}${f.gates === "failed" ? " (failures)" : ""}, newest first`}
                columns={GATE_COLUMNS}
                rows={g.items}
                rowKey={(r) => `${r.run_id}/${r.table_name}/${r.gate}/${r.column_name ?? ""}`}
                testId="gates-table"
                empty="No gate results."
              />
            )}
          </QueryView>
        </section>
      </div>
    </div>
  );
}
