// The waterfall table's shape: one row per target month, one column per lag (4..0), each cell the published
// baseline and final forecast (tested in logic.test.ts). No rule lives here: the API decides what was published.
import type { Schemas } from "../../api/client";

export type WaterfallMonth = Schemas["WaterfallMonth"];
export type WaterfallCell = Schemas["WaterfallCell"];

export type WaterfallRow = {
  target_month: string;
  actual_qty: number | null;
  /** lag -> cell (missing: nothing was published at that lag) */
  cells: Record<number, WaterfallCell | undefined>;
  /** the final forecast closest to the month (lowest lag) and its accuracy */
  latest: WaterfallCell | undefined;
};

export function waterfallRows(months: readonly WaterfallMonth[]): WaterfallRow[] {
  return months.map((m) => {
    const cells: Record<number, WaterfallCell | undefined> = {};
    for (const c of m.cells) cells[c.lag] = c;
    const latest = [...m.cells].sort((a, b) => a.lag - b.lag)[0];
    return { target_month: m.target_month, actual_qty: m.actual_qty ?? null, cells, latest };
  });
}
