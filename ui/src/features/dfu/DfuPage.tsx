// DFU drilldown: actuals, the legacy (external) forecast, every model's backtest (at the lag) and forward
// forecast, the champion and the published final forecast (approved overrides folded in); the numbers as a
// table; the DFU's overrides and the override form for planners.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../../api/client";
import { can, useAuth } from "../../auth/AuthContext";
import { ChartCard, MultiLineChart } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { FilterBar, PageHeader, SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import type { FilterSpec } from "../../lib/filters";
import { addMonths, fmtMonth, fmtQty, fmtRatioPct, shortMonth } from "../../lib/format";
import { seriesColor } from "../../lib/chartData";
import { useFilters } from "../../lib/useFilters";
import { OverrideForm } from "../overrides/OverrideForm";
import { describeAdjustment, describeMonths } from "../overrides/logic";
import { StatusBadge } from "../overrides/StatusBadge";
import { CHAMPION_BAND, drilldownRows, finalDiffs, type DrillRow } from "./shape";

const SPEC = {
  window: { kind: "int", default: 12, min: 1, max: 12 },
  lag: { kind: "enum", options: ["execution", "0", "1", "2", "3", "4"], default: "execution" },
  models: { kind: "list", default: [] },
} as const satisfies FilterSpec;

type Drilldown = Schemas["DrilldownResponse"];

export default function DfuPage() {
  const { dfuId = "" } = useParams();
  const [f, setF] = useFilters(SPEC);
  const drill = useQuery({
    queryKey: ["dfu", dfuId, f.window, f.lag],
    queryFn: async () =>
      unwrap(await api.GET("/dfus/{dfu_id}", { params: { path: { dfu_id: dfuId }, query: { window: f.window, lag: f.lag } } })),
    placeholderData: (prev) => (prev?.dfu.dfu_id === dfuId ? prev : undefined),
  });

  return (
    <div>
      <PageHeader title={`DFU ${dfuId}`}>
        <Link to="/app/dfu">Find another DFU</Link>
      </PageHeader>
      <FilterBar>
        <SelectField
          name="window"
          label="History"
          value={String(f.window)}
          options={["6", "12"].map((v) => ({ value: v, label: `Last ${v} months + forward` }))}
          onChange={(v) => setF({ window: Number(v) })}
        />
        <SelectField
          name="lag"
          label="Backtest lag"
          value={f.lag}
          options={[{ value: "execution", label: "Execution lag" }, ...["0", "1", "2", "3", "4"].map((l) => ({ value: l, label: `Lag ${l}` }))]}
          onChange={(lag) => setF({ lag: lag as typeof f.lag })}
        />
      </FilterBar>
      <QueryView query={drill} label="Loading DFU…">
        {(d) => <Drill d={d} shownModels={f.models} setModels={(models) => setF({ models })} />}
      </QueryView>
    </div>
  );
}

function Drill({ d, shownModels, setModels }: { d: Drilldown; shownModels: string[]; setModels: (m: string[]) => void }) {
  const { user } = useAuth();
  const { rows, series, models } = drilldownRows(d);
  const championModel = d.champion?.champion_model_id;
  const visible = new Set(["actual", "external", "champion", "final", ...shownModels]);
  const anchor = d.window.anchor_month;
  const diffs = finalDiffs(rows);
  const firstForward = shortMonth(addMonths(anchor, 1));

  const lines = series
    .filter((s) => visible.has(s))
    .map((s) => ({
      key: s,
      width: s === "final" ? 3 : s === "champion" || s === "actual" ? 2.5 : 1.5,
      dashed: s === "external",
      dots: s === "actual" || s === "final",
    }));
  const chartRows = rows.map(({ overridden: _o, ...r }) => ({ ...r, month: shortMonth(r.month) })) as unknown as Record<string, number | string | null>[];

  return (
    <>
      <section className="card" aria-label="DFU facts">
        <dl className="facts" data-testid="dfu-facts">
          <dt>Item</dt>
          <dd>
            {d.dfu.item_id} {d.dfu.item_name ? `· ${d.dfu.item_name}` : ""}
          </dd>
          <dt>Location</dt>
          <dd>
            {d.dfu.location_id} {d.dfu.location_name ? `· ${d.dfu.location_name}` : ""}
          </dd>
          <dt>Attributes</dt>
          <dd>
            {[d.dfu.category, d.dfu.brand, d.dfu.region].filter(Boolean).join(" · ")} · ABC {d.dfu.abc_class} · XYZ {d.dfu.xyz_class} · execution lag {d.dfu.execution_lag} · 12-month volume{" "}
            {fmtQty(d.dfu.qty_12m)}
          </dd>
          <dt>Cluster</dt>
          <dd>{d.dfu.cluster_id === null ? "—" : `${d.dfu.cluster_id} · ${d.dfu.cluster_label ?? ""}`}</dd>
          <dt>Champion</dt>
          <dd data-testid="champion-model">
            {d.champion
              ? `${d.champion.champion_model_id} (holdout WAPE ${fmtRatioPct(d.champion.holdout_wape)} on ${d.champion.holdout_timeframes}${d.champion.is_fallback ? ", fallback" : ""})`
              : "— (no competition result)"}
          </dd>
          <dt>Final forecast</dt>
          <dd data-testid="final-status">
            {d.final
              ? diffs.length
                ? `published; differs from the champion in ${diffs.length} month${diffs.length === 1 ? "" : "s"} (${diffs.map((x) => fmtMonth(x.month)).join(", ")})`
                : "published; equal to the champion (no approved override applies)"
              : "not published yet (the final job has not run)"}
          </dd>
        </dl>
      </section>
      <ChartCard title="Actuals and forecasts" testId="dfu-chart" note={`Backtests at lag ${d.lag} up to ${fmtMonth(anchor)}; forward forecasts after it. Dashed: the legacy forecast. Shaded: the champion's 80% prediction interval (conformal, from backtest residuals).`}>
        <div className="chips" role="group" aria-label="Models shown">
          <span className="muted small">Models:</span>
          {models.map((m) => {
            const on = shownModels.includes(m);
            return (
              <button key={m} type="button" className="chip" aria-pressed={on} onClick={() => setModels(on ? shownModels.filter((x) => x !== m) : [...shownModels, m])}>
                {m}
                {m === championModel ? " ★" : ""}
              </button>
            );
          })}
        </div>
        <MultiLineChart rows={chartRows} xKey="month" lines={lines} bands={visible.has("champion") ? [{ key: CHAMPION_BAND, label: "champion 80% interval", color: seriesColor("champion") }] : []} referenceX={shortMonth(anchor)} yFormat={(v) => fmtQty(v, true)} xFormat={(m) => fmtMonth(String(m))} height={340} />
      </ChartCard>
      <DataTable
        caption={`Monthly values (units). ${d.final ? "Final = champion with approved overrides." : ""}`}
        columns={tableColumns(series.filter((s) => visible.has(s) || s === "final"))}
        rows={rows}
        rowKey={(r) => r.month}
        testId="dfu-table"
        initialSort={{ key: "month", dir: "asc" }}
      />
      <div className="grid grid-2" style={{ marginTop: "1rem" }}>
        <section className="card" aria-labelledby="dfu-overrides">
          <h2 id="dfu-overrides">Overrides of this DFU</h2>
          {d.overrides.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <ul className="plain-list" data-testid="dfu-overrides">
              {d.overrides.map((o) => (
                <li key={o.id}>
                  <Link to={`/app/overrides?status=all&id=${o.id}`}>#{o.id}</Link> {describeMonths(o)} {describeAdjustment(o)} <StatusBadge status={o.status} />{" "}
                  <span className="muted">by {o.created_by}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="dfu-new-override">
          <h2 id="dfu-new-override">New override</h2>
          {can(user, "override.create") ? (
            <OverrideForm itemId={d.dfu.item_id} locationId={d.dfu.location_id} defaultMonth={firstForward} />
          ) : (
            <p className="muted">Only planners and admins create overrides (you are {user?.role}).</p>
          )}
        </section>
      </div>
    </>
  );
}

function cell(name: string) {
  return (r: DrillRow) => {
    const v = r[name];
    const month = shortMonth(r.month);
    if (typeof v !== "number") return <span data-testid={`${name}-${month}`}>—</span>;
    return (
      <span data-testid={`${name}-${month}`} data-value={v}>
        {fmtQty(v)}
        {name === "final" && r.overridden ? " ✎" : ""}
      </span>
    );
  };
}

function tableColumns(shown: string[]): Column<DrillRow>[] {
  return [
    { key: "month", header: "Month", render: (r) => fmtMonth(r.month), sortValue: (r) => r.month },
    ...shown.map((s) => ({
      key: s,
      header: s,
      align: "right" as const,
      render: cell(s),
      sortValue: (r: DrillRow) => (typeof r[s] === "number" ? (r[s] as number) : null),
    })),
  ];
}
