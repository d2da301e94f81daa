// Overrides & approvals: the queue (submitted first for approvers), history by status, one override's
// detail with its decision form, comments and audit trail. Filters and the selected id live in the URL.
import { useState } from "react";
import { useAuth, can } from "../../auth/AuthContext";
import { DataTable, type Column } from "../../components/DataTable";
import { FilterBar, PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { fmtDateTime } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";
import { useOverrides } from "./api";
import { describeAdjustment, describeMonths, type Override } from "./logic";
import { OverrideDetail } from "./OverrideDetail";
import { OverrideForm } from "./OverrideForm";
import { StatusBadge } from "./StatusBadge";

const PAGE_SIZE = 50;
const STATUS_OPTIONS = [
  { value: "submitted", label: "Awaiting approval" },
  { value: "draft", label: "Drafts" },
  { value: "approved", label: "Approved" },
  { value: "rejected", label: "Rejected" },
  { value: "withdrawn", label: "Withdrawn" },
  { value: "all", label: "All" },
] as const;

const SPEC = {
  status: { kind: "enum", options: STATUS_OPTIONS.map((o) => o.value), default: "submitted" },
  dfu: { kind: "string", default: "" },
  page: { kind: "int", default: 0, min: 0 },
  id: { kind: "int", default: null, min: 1 },
} as const satisfies FilterSpec;

const COLUMNS: Column<Override>[] = [
  { key: "id", header: "#", align: "right" },
  { key: "dfu_id", header: "DFU" },
  { key: "start_month", header: "Months", render: describeMonths },
  { key: "adjustment", header: "Adjustment", render: describeAdjustment, sortable: false },
  { key: "reason_code", header: "Reason" },
  { key: "status", header: "Status", render: (o) => <StatusBadge status={o.status} /> },
  { key: "created_by", header: "Planner" },
  { key: "updated_at", header: "Updated", render: (o) => fmtDateTime(o.updated_at) },
];

export function OverridesPage() {
  const { user } = useAuth();
  const [f, setF] = useFilters(SPEC);
  const [showForm, setShowForm] = useState(false);
  const overrides = useOverrides({
    status: f.status === "all" ? null : (f.status as Override["status"]),
    dfu_id: f.dfu || null,
    limit: PAGE_SIZE,
    offset: f.page * PAGE_SIZE,
  });

  return (
    <div>
      <PageHeader title="Overrides & approvals">
        {can(user, "override.create") && (
          <button type="button" onClick={() => setShowForm((v) => !v)} aria-expanded={showForm}>
            {showForm ? "Close form" : "New override"}
          </button>
        )}
      </PageHeader>
      {showForm && (
        <section className="card">
          <h2>New override</h2>
          <OverrideForm onCreated={(o) => setF({ id: o.id, status: o.status })} />
        </section>
      )}
      <FilterBar>
        <SelectField name="status" label="Show" value={f.status} options={STATUS_OPTIONS} onChange={(status) => setF({ status, page: 0 })} />
        <label className="field" htmlFor="f-dfu">
          <span>DFU (item|location)</span>
          <input id="f-dfu" value={f.dfu} placeholder="e.g. I0001|L01" onChange={(e) => setF({ dfu: e.target.value, page: 0 })} />
        </label>
      </FilterBar>
      <div className="split">
        <div className="split-main">
          <QueryView query={overrides}>
            {(page) => (
              <>
                <DataTable
                  caption={`${page.total} override${page.total === 1 ? "" : "s"}`}
                  columns={COLUMNS}
                  rows={page.items}
                  rowKey={(o) => String(o.id)}
                  selectedKey={f.id === null ? null : String(f.id)}
                  onRowActivate={(o) => setF({ id: o.id })}
                  testId="overrides-table"
                  empty="No overrides match."
                />
                <Pager total={page.total} page={f.page} onPage={(p) => setF({ page: p })} />
              </>
            )}
          </QueryView>
        </div>
        <div className="split-side">
          {f.id !== null ? <OverrideDetail id={f.id} /> : <p className="muted card">Select an override to see its details, decision and audit trail.</p>}
        </div>
      </div>
    </div>
  );
}

function Pager({ total, page, onPage }: { total: number; page: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 0} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page + 1} of {pages}
      </span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}
