// Shape gold.model_scores_detail (GET /competition/detail) into the competition page's lag table: one row per
// lag of one segment, the champion beside the legacy forecast, seasonal naive and the ceiling. Every figure is
// the API's; nothing is recomputed here (FVA and the gap are the champion row's own, on shared rows).
import type { Schemas } from "../../api/client";

type Detail = Schemas["CompetitionDetail"];
type Row = Schemas["ModelScoreDetailOut"];

export const CHAMPION = "champion";
export const LEGACY = "external";
export const NAIVE = "seasonal_naive";
export const CEILING = "ceiling";

export type LagRow = {
  lag: number;
  champion: Row | null;
  legacy: Row | null;
  naive: Row | null;
  ceiling: Row | null;
};

/** One row per lag of the detail, for `segment`; models missing at a lag are null. */
export function lagRows(detail: Detail, segment: string): LagRow[] {
  const find = (model: string, lag: number) =>
    detail.rows.find((r) => r.segment === segment && r.lag === lag && r.model_id === model) ?? null;
  return detail.lags.map((lag) => ({
    lag,
    champion: find(CHAMPION, lag),
    legacy: find(LEGACY, lag),
    naive: find(NAIVE, lag),
    ceiling: find(CEILING, lag),
  }));
}
