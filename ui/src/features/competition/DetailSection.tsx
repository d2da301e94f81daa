// Per lag 0-4 and per segment: the champion beside the legacy forecast, seasonal naive and the ceiling
// (Accuracy%, WAPE, bias, FVA, gap to ceiling, interval coverage), from GET /competition/detail. Intermittent
// segments (flagged by the API) say why DFU-month Accuracy% is the wrong lens and lead with 3-month cumulative WAPE.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { SelectField } from "../../components/Field";
import { QueryView } from "../../components/Status";
import { fmtPct, fmtPoints, fmtQty, fmtRatio, fmtRatioPct, fmtSignedRatioPct } from "../../lib/format";
import { lagRows, type LagRow } from "./detail";

const COLUMNS: Column<LagRow>[] = [
  { key: "lag", header: "Lag", render: (r) => `${r.lag}` },
  { key: "champion_acc", header: "Champion accuracy", align: "right", render: (r) => fmtPct(r.champion?.accuracy_pct), sortValue: (r) => r.champion?.accuracy_pct },
  { key: "legacy_acc", header: "Legacy accuracy", align: "right", render: (r) => fmtPct(r.legacy?.accuracy_pct), sortValue: (r) => r.legacy?.accuracy_pct },
  { key: "naive_acc", header: "Naive accuracy", align: "right", render: (r) => fmtPct(r.naive?.accuracy_pct), sortValue: (r) => r.naive?.accuracy_pct },
  { key: "fva_legacy", header: "FVA vs legacy", align: "right", render: (r) => fmtPoints(r.champion?.fva_vs_external) },
  { key: "fva_naive", header: "FVA vs naive", align: "right", render: (r) => fmtPoints(r.champion?.fva_vs_baseline) },
  { key: "champion_wape", header: "Champion WAPE", align: "right", render: (r) => fmtRatioPct(r.champion?.wape) },
  { key: "legacy_wape", header: "Legacy WAPE", align: "right", render: (r) => fmtRatioPct(r.legacy?.wape) },
  { key: "champion_cum3", header: "Champion WAPE 3-month", align: "right", render: (r) => fmtRatioPct(r.champion?.wape_cum3) },
  { key: "legacy_cum3", header: "Legacy WAPE 3-month", align: "right", render: (r) => fmtRatioPct(r.legacy?.wape_cum3) },
  { key: "champion_rmsse", header: "Champion RMSSE", align: "right", render: (r) => fmtRatio(r.champion?.rmsse), sortValue: (r) => r.champion?.rmsse },
  { key: "legacy_rmsse", header: "Legacy RMSSE", align: "right", render: (r) => fmtRatio(r.legacy?.rmsse), sortValue: (r) => r.legacy?.rmsse },
  { key: "champion_bias", header: "Champion bias", align: "right", render: (r) => fmtSignedRatioPct(r.champion?.bias) },
  { key: "legacy_bias", header: "Legacy bias", align: "right", render: (r) => fmtSignedRatioPct(r.legacy?.bias) },
  { key: "ceiling_acc", header: "Ceiling", align: "right", render: (r) => fmtPct(r.ceiling?.accuracy_pct) },
  { key: "gap", header: "Gap to ceiling", align: "right", render: (r) => fmtPoints(r.champion?.gap_to_ceiling) },
  { key: "cov80", header: "80% coverage", align: "right", render: (r) => fmtRatioPct(r.champion?.coverage_80) },
  { key: "cov95", header: "95% coverage", align: "right", render: (r) => fmtRatioPct(r.champion?.coverage_95) },
  { key: "n_rows", header: "Rows", align: "right", render: (r) => fmtQty(r.champion?.n_rows) },
];

export function DetailSection() {
  const detail = useQuery({ queryKey: ["competition", "detail"], queryFn: async () => unwrap(await api.GET("/competition/detail")) });
  const [segment, setSegment] = useState("all");
  return (
    <section className="card" aria-labelledby="detail-title" data-testid="competition-detail">
      <h2 id="detail-title">By lag and segment</h2>
      <QueryView query={detail} label="Loading the scores per lag and segment…">
        {(d) => {
          const info = d.segments.find((s) => s.segment === segment) ?? d.segments[0];
          if (!info) return <p className="muted small">No detail published yet: run the forecast job.</p>;
          return (
            <>
              <SelectField
                label="Segment"
                name="detail-segment"
                value={info.segment}
                options={d.segments.map((s) => ({ value: s.segment, label: s.segment === "all" ? "All DFUs" : s.segment }))}
                onChange={setSegment}
              />
              <p className="muted small">
                Holdout rows of run {d.run_id ?? "—"}, each lag scored on its own rows; FVA and the gap to the ceiling are accuracy points on the rows both forecasts have. Coverage: share of
                actuals inside the champion&apos;s 80% / 95% intervals.
              </p>
              {info.intermittent && (
                <div className="status status-info" role="note" data-testid="intermittent-note">
                  Intermittent or lumpy demand: most months sell nothing, so even an unbiased forecast misses by about the whole quantity each month and DFU-month Accuracy% sits near 0. Judge these
                  DFUs by the 3-month cumulative WAPE (lags 0–2 summed), the RMSSE (the segment&apos;s selection metric: lower is better, it does not reward a forecast of zero) and the bias instead.
                </div>
              )}
              <DataTable caption={`Champion vs legacy vs seasonal naive per lag (${info.segment})`} columns={COLUMNS} rows={lagRows(d, info.segment)} rowKey={(r) => `${r.lag}`} testId="detail-table" />
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
