// Find a DFU: type an item id or name, pick the item, open one of its DFUs (or type item|location directly).
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import { DataTable } from "../../components/DataTable";
import { FilterBar, PageHeader } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { fmtPct, fmtQty } from "../../lib/format";
import { useFilters } from "../../lib/useFilters";

const SPEC = { q: { kind: "string", default: "" }, item: { kind: "string", default: "" } } as const satisfies FilterSpec;

export default function DfuSearchPage() {
  const [f, setF] = useFilters(SPEC);
  const navigate = useNavigate();
  const [direct, setDirect] = useState("");
  const hits = useQuery({
    queryKey: ["search", f.q],
    queryFn: async () => unwrap(await api.GET("/meta/search", { params: { query: { q: f.q, kind: "item", limit: 20 } } })),
    enabled: f.q.trim().length > 0,
  });
  const dfus = useQuery({
    queryKey: ["slice", "dfu-of-item", f.item],
    queryFn: async () =>
      unwrap(await api.GET("/accuracy/slice", { params: { query: { by: "dfu", item: [f.item], window: 12, lag: "execution", limit: 500, sort: "key" } } })),
    enabled: f.item !== "",
  });

  const go = (e: FormEvent) => {
    e.preventDefault();
    if (direct.includes("|")) navigate(`/app/dfu/${encodeURIComponent(direct.trim())}`);
  };

  return (
    <div>
      <PageHeader title="Find a DFU" />
      <FilterBar>
        <label className="field" htmlFor="dfu-q">
          <span>Item (id or name)</span>
          <input id="dfu-q" value={f.q} onChange={(e) => setF({ q: e.target.value, item: "" })} placeholder="e.g. I000012 or bags" autoFocus />
        </label>
        <form onSubmit={go} className="filter-bar" style={{ margin: 0 }}>
          <label className="field" htmlFor="dfu-direct">
            <span>Or a DFU id (item|location)</span>
            <input id="dfu-direct" value={direct} onChange={(e) => setDirect(e.target.value)} placeholder="I000012|L0002" />
          </label>
          <button type="submit" disabled={!direct.includes("|")}>
            Open
          </button>
        </form>
      </FilterBar>
      <div className="grid grid-2">
        <div>
          {f.q.trim() && (
            <QueryView query={hits}>
              {(h) => (
                <DataTable
                  caption={`${h.items.length} item${h.items.length === 1 ? "" : "s"} matching “${h.q}”`}
                  columns={[
                    { key: "id", header: "Item" },
                    { key: "name", header: "Name" },
                    { key: "detail", header: "Category", render: (r) => r.detail ?? "—" },
                    { key: "n_dfus", header: "DFUs", align: "right", render: (r) => fmtQty(r.n_dfus) },
                  ]}
                  rows={h.items}
                  rowKey={(r) => r.id}
                  selectedKey={f.item || null}
                  onRowActivate={(r) => setF({ item: r.id })}
                  empty="No item matches."
                />
              )}
            </QueryView>
          )}
        </div>
        <div>
          {f.item && (
            <QueryView query={dfus}>
              {(p) => (
                <DataTable
                  caption={`DFUs of item ${f.item} (accuracy: champion, execution lag, last 12 months)`}
                  columns={[
                    { key: "key", header: "DFU" },
                    { key: "actual_qty", header: "Actual", align: "right", render: (r) => fmtQty(r.actual_qty) },
                    { key: "accuracy_pct", header: "Accuracy", align: "right", render: (r) => fmtPct(r.accuracy_pct) },
                  ]}
                  rows={p.items}
                  rowKey={(r) => r.key ?? ""}
                  onRowActivate={(r) => r.key && navigate(`/app/dfu/${encodeURIComponent(r.key)}`)}
                  empty="This item has no backtested DFU."
                />
              )}
            </QueryView>
          )}
        </div>
      </div>
    </div>
  );
}
