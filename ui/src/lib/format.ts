// Number and date formatting used by every page: one place, so a KPI reads the same everywhere.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "—" for null/undefined/NaN: the UI never shows "NaN" or "null". */
export const DASH = "—";

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

/** Units with thousands separators; compact (1.2k, 3.4M) when `compact`. */
export function fmtQty(value: number | null | undefined, compact = false): string {
  if (missing(value)) return DASH;
  if (compact) {
    const abs = Math.abs(value);
    if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
    if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
    if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  }
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A percentage already in percent units (accuracy 87.25 -> "87.3%"). */
export function fmtPct(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return DASH;
  return `${value.toFixed(digits)}%`;
}

/** A ratio (0.1234) shown as a percentage ("12.3%"): WAPE, MAPE, shares. */
export function fmtRatioPct(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return DASH;
  return fmtPct(value * 100, digits);
}

/** A signed ratio as a percentage with an explicit sign: bias 0.052 -> "+5.2%", -0.1 -> "−10.0%". */
export function fmtSignedRatioPct(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return DASH;
  const pct = value * 100;
  const body = Math.abs(pct).toFixed(digits);
  if (Number(body) === 0) return `${(0).toFixed(digits)}%`;
  return `${pct > 0 ? "+" : "−"}${body}%`;
}

/** A unitless score (RMSSE 1.2345 -> "1.23"). */
export function fmtRatio(value: number | null | undefined, digits = 2): string {
  if (missing(value)) return DASH;
  return value.toFixed(digits);
}

/** Accuracy points with a sign (FVA, gap): 2.5 -> "+2.5 pts". */
export function fmtPoints(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return DASH;
  const body = Math.abs(value).toFixed(digits);
  if (Number(body) === 0) return `${(0).toFixed(digits)} pts`;
  return `${value > 0 ? "+" : "−"}${body} pts`;
}

/** "2024-03-01" (or "2024-03") -> "Mar 2024"; anything unparseable is returned as given. */
export function fmtMonth(value: string | null | undefined): string {
  if (!value) return DASH;
  const m = /^(\d{4})-(\d{2})/.exec(value);
  if (!m) return value;
  const month = MONTHS[Number(m[2]) - 1];
  return month ? `${month} ${m[1]}` : value;
}

/** "2024-03-01" -> "2024-03" (compact axis labels). */
export function shortMonth(value: string): string {
  return value.slice(0, 7);
}

/** ISO date-time -> "2024-03-05 14:07" in the browser's time zone. */
export function fmtDateTime(value: string | null | undefined): string {
  if (!value) return DASH;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Duration in seconds -> "850 ms", "12.3 s", "4 min 05 s". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (missing(seconds)) return DASH;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const min = Math.floor(seconds / 60);
  return `${min} min ${String(Math.round(seconds - min * 60)).padStart(2, "0")} s`;
}

/** Add `n` months to a first-of-month ISO date ("2024-11-01", 3) -> "2025-02-01". */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const total = y * 12 + (m - 1) + n;
  const year = Math.floor(total / 12);
  const mon = (total % 12) + 1;
  return `${year}-${String(mon).padStart(2, "0")}-01`;
}

/** Signed units: 172.4 -> "+172", -1589 -> "−1,589" (bias in units). */
export function fmtSignedQty(value: number | null | undefined): string {
  if (missing(value)) return DASH;
  const body = fmtQty(Math.abs(value));
  if (Number(body.replace(/,/g, "")) === 0) return "0";
  return `${value > 0 ? "+" : "−"}${body}`;
}
