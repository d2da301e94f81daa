// Pure helpers of the Chat page (tested in logic.test.ts): result rows -> table rows and chart rows,
// refusal detection, did-you-mean rewriting, cell formatting.
import type { Schemas } from "../../api/client";
import { pivotSeries, type Row } from "../../lib/chartData";
import { DASH } from "../../lib/format";

export type ChatResponse = Schemas["ChatResponse"];
export type ChatRefusal = Schemas["ChatRefusal"];
export type ChartSpec = Schemas["ChartSpec"];

/** Example questions (from tests/chat/eval_questions.yaml, all answered by the rule parser). */
export const EXAMPLE_QUESTIONS: readonly string[] = [
  "Accuracy by model over the last 6 months",
  "theta vs lgbm_global accuracy by month",
  "Top 5 items by units sold in 2025",
  "Forecast by month for the next 6 months",
  "Champion accuracy by region over the last 6 months",
];

/** The refusal in an error body (4xx with `refused: true`), or null when the body is another error. */
export function refusalOf(status: number, body: unknown): ChatRefusal | null {
  if (status < 400 || status >= 500 || !body || typeof body !== "object") return null;
  const b = body as Partial<ChatRefusal>;
  if (b.refused !== true || typeof b.detail !== "string") return null;
  return { detail: b.detail, refused: true, conversation_id: typeof b.conversation_id === "string" ? b.conversation_id : null };
}

// ------------------------------------------------------------------------------------------------ table
/** One result row for DataTable: column i under key `c<i>` (column names may repeat in free SQL). */
export type TableRow = { _key: string } & Record<string, unknown>;

export function colKey(i: number): string {
  return `c${i}`;
}

export function tableRows(columns: readonly string[], rows: readonly (readonly unknown[])[]): TableRow[] {
  return rows.map((r, ri) => {
    const out: TableRow = { _key: String(ri) };
    columns.forEach((_, ci) => {
      out[colKey(ci)] = r[ci] ?? null;
    });
    return out;
  });
}

/** Whether column `i` holds numbers (its first non-null value is one): right-aligned in the table. */
export function isNumericColumn(rows: readonly (readonly unknown[])[], i: number): boolean {
  for (const r of rows) {
    const v = r[i];
    if (v !== null && v !== undefined) return typeof v === "number";
  }
  return false;
}

/** Integer columns shown without thousands separators (codes, not quantities). */
const PLAIN_INTEGER_COLUMNS = new Set(["year", "lag", "timeframe", "execution_lag", "cluster_id"]);

/** A result cell as text: percentages with one decimal, quantities with separators, "—" for null. */
export function cellText(value: unknown, column: string): string {
  if (value === null || value === undefined) return DASH;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return DASH;
    if (column.endsWith("_pct")) return `${value.toFixed(1)}%`;
    if (column.endsWith("_pp")) return `${value.toFixed(1)} pp`;
    if (Number.isInteger(value)) return PLAIN_INTEGER_COLUMNS.has(column) ? String(value) : value.toLocaleString("en-US");
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

// ------------------------------------------------------------------------------------------------ chart
export const X_KEY = "__x";
export const MAX_SERIES = 12;

export type ChatChart = {
  type: "line" | "bar";
  title: string;
  xKey: typeof X_KEY;
  /** Series keys of `rows` (the series column's values, or the y column when there is no series column). */
  series: string[];
  rows: Row[];
  /** Series left out beyond MAX_SERIES. */
  omittedSeries: number;
};

/** "2026-05-01" -> "2026-05" (months and quarters are first days); other values as text or numbers. */
function xValue(v: unknown): string | number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\d{4}-\d{2}-01$/.test(v)) return v.slice(0, 7);
  return v === null || v === undefined ? "(none)" : String(v);
}

function yValue(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * The chart for an answer: null for table answers or when x / y are not result columns. Line charts are
 * sorted by x; bar charts keep the answer's row order (a "top 5" stays ranked). With a series column, each
 * of its values is one line / bar group (the first MAX_SERIES seen).
 */
export function chartData(columns: readonly string[], rows: readonly (readonly unknown[])[], chart: ChartSpec): ChatChart | null {
  if (chart.type === "table" || !chart.x || !chart.y || rows.length === 0) return null;
  const ix = columns.indexOf(chart.x);
  const iy = columns.indexOf(chart.y);
  if (ix < 0 || iy < 0) return null;
  const is = chart.series ? columns.indexOf(chart.series) : -1;

  const names: string[] = [];
  const points = new Map<string, { x: string | number; y: number | null }[]>();
  for (const r of rows) {
    const name = is >= 0 ? (r[is] === null || r[is] === undefined ? "(none)" : String(r[is])) : chart.y;
    let list = points.get(name);
    if (!list) {
      list = [];
      points.set(name, list);
      names.push(name);
    }
    list.push({ x: xValue(r[ix]), y: yValue(r[iy]) });
  }
  const kept = names.slice(0, MAX_SERIES);
  const series = kept.map((name) => ({ name, points: points.get(name)! }));

  let out: Row[];
  if (chart.type === "line") {
    out = pivotSeries(series, (p) => p.x, (p) => p.y, X_KEY);
  } else {
    const byX = new Map<string | number, Row>(); // first-seen order of x
    for (const s of series) {
      for (const p of s.points) {
        let row = byX.get(p.x);
        if (!row) {
          row = { [X_KEY]: p.x };
          byX.set(p.x, row);
        }
        row[s.name] = p.y;
      }
    }
    out = [...byX.values()];
  }
  return {
    type: chart.type,
    title: chart.title ?? `${chart.y} by ${chart.x}`,
    xKey: X_KEY,
    series: kept,
    rows: out,
    omittedSeries: names.length - kept.length,
  };
}

// ------------------------------------------------------------------------------------------ did you mean
/** Optimal string alignment distance (Levenshtein + adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function similarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  return n === 0 ? 1 : 1 - editDistance(a.toLowerCase(), b.toLowerCase()) / n;
}

export const MIN_SIMILARITY = 0.5;

/**
 * The question with a did-you-mean suggestion in place of the word it is closest to (similarity >=
 * MIN_SIMILARITY, and not already that word): `replaced` names the word. When no word is close (the
 * suggestion is, say, a metric for a question that named none), the suggestion is appended and `replaced`
 * is null: the page then only fills the box for the user to edit.
 */
export function applySuggestion(question: string, suggestion: string): { question: string; replaced: string | null } {
  let best: { word: string; index: number; score: number } | null = null;
  for (const m of question.matchAll(/[\p{L}\p{N}_]+(?:-[\p{L}\p{N}_]+)*/gu)) {
    const word = m[0];
    if (word.toLowerCase() === suggestion.toLowerCase()) continue; // already there
    const score = similarity(word, suggestion);
    if (score >= MIN_SIMILARITY && (!best || score > best.score)) best = { word, index: m.index, score };
  }
  if (!best) return { question: `${question.trim()} ${suggestion}`, replaced: null };
  return {
    question: question.slice(0, best.index) + suggestion + question.slice(best.index + best.word.length),
    replaced: best.word,
  };
}
