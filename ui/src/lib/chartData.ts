// Shaping API answers into what the charts draw (pure functions, tested in chartData.test.ts).
// Recharts wants "wide" rows: one object per x value with one key per series.

export type Row = Record<string, string | number | null>;

/** Long series (one per model) -> wide rows keyed by `x`, sorted by x; missing points stay absent (gaps). */
export function pivotSeries<P>(
  series: readonly { name: string; points: readonly P[] }[],
  x: (p: P) => string | number,
  y: (p: P) => number | null | undefined,
  xKey = "x",
): Row[] {
  const rows = new Map<string | number, Row>();
  for (const s of series) {
    for (const p of s.points) {
      const key = x(p);
      let row = rows.get(key);
      if (!row) {
        row = { [xKey]: key };
        rows.set(key, row);
      }
      const value = y(p);
      row[s.name] = value === undefined || value === null || Number.isNaN(value) ? null : value;
    }
  }
  return [...rows.values()].sort((a, b) => {
    const ka = a[xKey] as string | number;
    const kb = b[xKey] as string | number;
    return typeof ka === "number" && typeof kb === "number" ? ka - kb : String(ka).localeCompare(String(kb));
  });
}

/** A stable colour per series name (same model, same colour on every chart). */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2", "#393b79", "#637939", "#8c6d31", "#843c39"];
const FIXED: Record<string, string> = {
  actual: "#111111",
  external: "#868e96",
  champion: "#d6336c",
  final: "#f08c00",
  ceiling: "#ced4da",
  seasonal_naive: "#1f77b4",
  theta: "#2ca02c",
  optimized_theta: "#17becf",
  dynamic_optimized_theta: "#637939",
  croston_optimized: "#9467bd",
  tsb: "#8c564b",
  adida: "#bcbd22",
  lgbm_global: "#ff7f0e",
  lgbm_transfer: "#e377c2",
  lgbm_per_cluster: "#843c39",
  combo_mean: "#393b79",
  auto_ets: "#8c6d31",
};

export function seriesColor(name: string): string {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

export type HeatCell = { row: string; col: string; value: number | null };
export type HeatGrid = { rows: string[]; cols: string[]; value: (row: string, col: string) => number | null; min: number; max: number };

/** Cells -> a grid with row/col order as first seen (or given) and the value range for the colour scale. */
export function heatGrid(cells: readonly HeatCell[], colOrder?: readonly string[]): HeatGrid {
  const rows: string[] = [];
  const cols: string[] = colOrder ? [...colOrder] : [];
  const values = new Map<string, number | null>();
  let min = Infinity;
  let max = -Infinity;
  for (const c of cells) {
    if (!rows.includes(c.row)) rows.push(c.row);
    if (!cols.includes(c.col)) cols.push(c.col);
    values.set(`${c.row}\u0000${c.col}`, c.value);
    if (c.value !== null && !Number.isNaN(c.value)) {
      min = Math.min(min, c.value);
      max = Math.max(max, c.value);
    }
  }
  if (min === Infinity) {
    min = 0;
    max = 0;
  }
  return { rows, cols, min, max, value: (row, col) => values.get(`${row}\u0000${col}`) ?? null };
}

/** Background for a heat cell: red (worst) -> yellow -> green (best), `null` grey. Higher is better. */
export function heatColor(value: number | null, min: number, max: number): string {
  if (value === null || Number.isNaN(value)) return "#f1f3f5";
  const t = max > min ? (value - min) / (max - min) : 1;
  const hue = Math.round(t * 120); // 0 red .. 120 green
  return `hsl(${hue}, 65%, 78%)`;
}

/** Sparkline points from an exception's series (actual and forecast per month). */
export function sparkRows(series: readonly { month: string; actual_qty: number; forecast_qty: number }[]): Row[] {
  return [...series]
    .sort((a, b) => a.month.localeCompare(b.month))
    .map((p) => ({ x: p.month.slice(0, 7), actual: p.actual_qty, forecast: p.forecast_qty }));
}
