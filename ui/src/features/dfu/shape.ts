// Drilldown answer -> chart/table rows: one row per month with actual, external, every model, champion, final.
// A model's backtest points (history, at the chosen lag) and its forward baseline points (after the last
// actual) never share a month, so each model is one line across both.

type Point = { target_month: string; fcst_qty: number; override_id?: string | null; fcst_lo_80?: number | null; fcst_hi_80?: number | null };
type Series = { model_id: string; points: readonly Point[] };
export type DrilldownLike = {
  actuals: readonly { month: string; qty: number }[];
  external: Series | null;
  backtest: readonly Series[];
  baseline: readonly Series[];
  final: Series | null;
};

export type DrillRow = { month: string; overridden?: boolean } & Record<string, number | string | boolean | null | undefined | [number, number]>;

/** Key of the champion's 80% prediction interval ([low, high] per month, where the API serves both bounds). */
export const CHAMPION_BAND = "champion_80";

export const SPECIAL = ["actual", "external", "champion", "final"] as const;

/** Rows by month (ascending) and the model names, special series first (actual, external, champion, final);
 * rows also carry the champion's 80% interval under CHAMPION_BAND. */
export function drilldownRows(d: DrilldownLike): { rows: DrillRow[]; series: string[]; models: string[] } {
  const rows = new Map<string, DrillRow>();
  const row = (month: string): DrillRow => {
    const key = month.slice(0, 10);
    let r = rows.get(key);
    if (!r) {
      r = { month: key };
      rows.set(key, r);
    }
    return r;
  };
  const names = new Set<string>();
  const put = (name: string, s: Series | null) => {
    if (!s) return;
    names.add(name);
    for (const p of s.points) {
      const r = row(p.target_month);
      r[name] = p.fcst_qty;
      if (name === "final" && p.override_id) r.overridden = true;
      if (name === "champion" && typeof p.fcst_lo_80 === "number" && typeof p.fcst_hi_80 === "number") {
        r[CHAMPION_BAND] = [p.fcst_lo_80, p.fcst_hi_80];
      }
    }
  };
  for (const a of d.actuals) {
    row(a.month).actual = a.qty;
    names.add("actual");
  }
  put("external", d.external);
  for (const s of [...d.backtest, ...d.baseline]) put(s.model_id, s);
  put("final", d.final);
  const models = [...names].filter((n) => !(SPECIAL as readonly string[]).includes(n)).sort();
  const series = [...SPECIAL.filter((n) => names.has(n)), ...models];
  return { rows: [...rows.values()].sort((a, b) => a.month.localeCompare(b.month)), series, models };
}

/** Forward months (baseline/final) where final differs from the champion: what the overrides changed. */
export function finalDiffs(rows: readonly DrillRow[]): { month: string; champion: number | null; final: number }[] {
  const out: { month: string; champion: number | null; final: number }[] = [];
  for (const r of rows) {
    const f = r.final;
    if (typeof f !== "number") continue;
    const c = typeof r.champion === "number" ? r.champion : null;
    if (c === null || Math.abs(c - f) > 1e-9) out.push({ month: r.month, champion: c, final: f });
  }
  return out;
}
