// Model competition: the published result (scores, champion share, FVA, gap to ceiling), the active config
// (edit as JSON; approvers/admins save it for the next forecast run) and a what-if run of the edited config
// over the published backtests (writes nothing).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap, type Schemas } from "../../api/client";
import { can, useAuth } from "../../auth/AuthContext";
import { ChartCard } from "../../components/charts";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/Field";
import { QueryView } from "../../components/Status";
import { seriesColor } from "../../lib/chartData";
import { DetailSection } from "./DetailSection";
import { fmtDateTime, fmtDuration, fmtPct, fmtPoints, fmtQty, fmtRatioPct, fmtSignedRatioPct } from "../../lib/format";

type Score = Schemas["ModelScoreOut"];
type Share = Schemas["ChampionShare"];

const SCORE_COLUMNS: Column<Score>[] = [
  { key: "model_id", header: "Model" },
  { key: "accuracy_pct", header: "Accuracy", align: "right", render: (s) => fmtPct(s.accuracy_pct) },
  { key: "wape", header: "WAPE", align: "right", render: (s) => fmtRatioPct(s.wape) },
  { key: "bias", header: "Bias", align: "right", render: (s) => fmtSignedRatioPct(s.bias) },
  { key: "fva_vs_baseline", header: "FVA vs naive", align: "right", render: (s) => fmtPoints(s.fva_vs_baseline) },
  { key: "fva_vs_external", header: "FVA vs legacy", align: "right", render: (s) => fmtPoints(s.fva_vs_external) },
  { key: "gap_to_ceiling", header: "Gap to ceiling", align: "right", render: (s) => fmtPoints(s.gap_to_ceiling) },
  { key: "champion_share", header: "Champion share", align: "right", render: (s) => fmtRatioPct(s.champion_share) },
  { key: "n_rows", header: "Rows", align: "right", render: (s) => fmtQty(s.n_rows) },
];

/** Parse the editor's JSON into a config body, or the reason it is not one. */
export function parseConfig(text: string): { config: Schemas["CompetitionConfigBody"] } | { problem: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) return { problem: "the config must be a JSON object" };
    return { config: value as Schemas["CompetitionConfigBody"] };
  } catch (e) {
    return { problem: `not valid JSON: ${(e as Error).message}` };
  }
}

function ShareChart({ shares }: { shares: Share[] }) {
  const rows = [...shares].sort((a, b) => b.share - a.share).map((s) => ({ model: s.model_id, share: s.share * 100, n: s.n_dfus }));
  return (
    <div style={{ width: "100%", height: 260 }} role="img" aria-label={`Champion share: ${rows.map((r) => `${r.model} ${r.share.toFixed(0)}%`).join(", ")}`}>
      <ResponsiveContainer>
        <BarChart data={rows} layout="vertical" margin={{ left: 40, right: 16 }}>
          <CartesianGrid stroke="#e9ecef" />
          <XAxis type="number" unit="%" fontSize={12} />
          <YAxis type="category" dataKey="model" width={130} fontSize={12} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(1)}%`} />
          <Bar dataKey="share" isAnimationActive={false}>
            {rows.map((r) => (
              <Cell key={r.model} fill={seriesColor(r.model)} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export default function CompetitionPage() {
  const { user } = useAuth();
  const qc = useQueryClient();
  const summary = useQuery({ queryKey: ["competition", "summary"], queryFn: async () => unwrap(await api.GET("/competition/summary")) });
  const config = useQuery({ queryKey: ["competition", "config"], queryFn: async () => unwrap(await api.GET("/competition/config")) });
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (config.data) setText(JSON.stringify(config.data.config, null, 2));
  }, [config.data]);

  const run = useMutation({
    mutationFn: async (cfg: Schemas["CompetitionConfigBody"]) => unwrap(await api.POST("/competition/run", { body: { config: cfg } })),
  });
  const save = useMutation({
    mutationFn: async (cfg: Schemas["CompetitionConfigBody"]) => unwrap(await api.PUT("/competition/config", { body: cfg })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["competition", "config"] }),
  });
  const mayRun = can(user, "competition.run");
  const maySave = can(user, "competition.save");

  const withConfig = (fn: (c: Schemas["CompetitionConfigBody"]) => void) => () => {
    const parsed = parseConfig(text);
    if ("problem" in parsed) return setProblem(parsed.problem);
    setProblem(null);
    fn(parsed.config);
  };

  return (
    <div>
      <PageHeader title="Model competition" />
      <QueryView query={summary} label="Loading the published competition…">
        {(s) => (
          <>
            <p className="muted small">
              Published run {s.run_id ?? "—"}: {s.n_dfus} DFUs ({s.n_fallback} on the fallback model), chosen on timeframes {s.selection_timeframes.join(", ")}, scored on{" "}
              {s.holdout_timeframes.join(", ")}, at lag{s.competition_lags.length > 1 ? "s" : ""} {s.competition_lags.map((l) => (l === null ? "all" : l)).join(", ")}.
            </p>
            <div>
              <DataTable caption="Holdout scores per model (accuracy points for FVA and gap)" columns={SCORE_COLUMNS} rows={s.scores} rowKey={(r) => r.model_id} testId="scores-table" />
              <ChartCard title="Champion share" note="Share of DFUs whose champion each model is.">
                <ShareChart shares={s.champion_share} />
              </ChartCard>
            </div>
          </>
        )}
      </QueryView>
      <DetailSection />
      <section className="card" aria-labelledby="config-title">
        <h2 id="config-title">Competition config</h2>
        <QueryView query={config}>
          {(c) => (
            <>
              <p className="muted small">
                Source: {c.source === "stored" ? `stored version ${c.version}, by ${c.updated_by} at ${fmtDateTime(c.updated_at)}` : "conf/ (never edited here)"}. Fields: metric, lag (int, "execution_lag" or
                "all"), min_rows, models (null = all), n_holdout, fallback_model, baseline_model, combo_members.
              </p>
              <label className="field" htmlFor="config-json">
                <span>Config (JSON)</span>
                <textarea id="config-json" rows={12} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} style={{ fontFamily: "monospace" }} />
              </label>
              {(problem || run.error || save.error) && (
                <div className="status status-error" role="alert">
                  {problem ?? run.error?.message ?? save.error?.message}
                </div>
              )}
              {save.isSuccess && (
                <div className="status status-ok" role="status">
                  Saved as version {save.data.version}: the next forecast run uses it.
                </div>
              )}
              <div className="form-actions">
                <button type="button" className="primary" disabled={!mayRun || run.isPending} onClick={withConfig((cfg) => run.mutate(cfg))}>
                  {run.isPending ? "Running…" : "Run what-if"}
                </button>
                <button type="button" disabled={!maySave || save.isPending} onClick={withConfig((cfg) => save.mutate(cfg))}>
                  Save config
                </button>
                {!maySave && <span className="muted small">Your role ({user?.role}) may not save the config{mayRun ? "" : " or run the competition"}.</span>}
              </div>
            </>
          )}
        </QueryView>
      </section>
      {run.data && (
        <section className="card" aria-labelledby="run-title" data-testid="competition-run">
          <h2 id="run-title">What-if result</h2>
          <p className="muted small">
            {run.data.n_dfus} DFUs, {run.data.changed_vs_published} with a different champion than published, {run.data.n_fallback} on the fallback; {fmtDuration(run.data.seconds)}.
          </p>
          <div>
            <DataTable caption="Scores with this config" columns={SCORE_COLUMNS} rows={run.data.scores} rowKey={(r) => r.model_id} />
            <ChartCard title="Champion share (what-if)">
              <ShareChart shares={run.data.champion_share} />
            </ChartCard>
          </div>
        </section>
      )}
    </div>
  );
}
