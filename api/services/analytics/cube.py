"""The dashboards' reads of the pre-aggregates (``gold.agg_accuracy_cube`` and its rollup over locations
``gold.agg_accuracy_rollup``, ``gold.exceptions_topn``).

The cube keeps the accuracy sums per model x lag x target month x location, region, category, cluster, ABC and XYZ
class (contracts/aggregates.py), so a request is answered from it -- with the same numbers as from the raw facts,
as the agreement tests prove -- when it filters only on those DFU attributes (or customer, which maps to
locations), slices by one of them, lag or model, and names no timeframe. Anything else (item, brand or supplier
filters and slices, DFU and customer slices, timeframes) reads ``gold.fact_forecast_accuracy`` as before.

Distinct DFUs are exact too: a DFU's first row inside ``[from, to]`` is the one whose previous month (per DFU, at
the lag, or over all lags when lags are pooled, or over aligned rows) is before ``from`` (or absent); per target
month, before that month. So ``n_dfus`` is a sum over the cells with that property.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.engine import ServingEngine
from api.schemas.analytics import TimeWindow
from api.services.analytics.common import DfuFilters, LagSpec, in_list, where, window_sql
from contracts.aggregates import AGGREGATE_TABLES, TOPN_RANKS, TOPN_WINDOWS
from lakecast import kpi

CUBE = AGGREGATE_TABLES["agg_accuracy_cube"].fqn
ROLLUP = AGGREGATE_TABLES["agg_accuracy_rollup"].fqn
TOPN = AGGREGATE_TABLES["exceptions_topn"].fqn
#: DFU filters the cube answers (the DFU attributes it keeps; customer = the customer's serving locations)
CUBE_FILTERS = frozenset({"category", "region", "location", "customer", "abc_class", "xyz_class", "cluster"})

#: what only the cube (not the rollup over locations) keeps
LOCATION_DIMENSIONS = frozenset({"location", "customer", "region"})

#: by -> (key expression, label expression, extra joins) over cube cells ``c``, as accuracy.SLICE_DIMENSIONS
CUBE_SLICES: dict[str, tuple[str, str | None, str]] = {
    "category": ("c.category", None, ""),
    "region": ("c.region", None, ""),
    "abc_class": ("c.abc_class", None, ""),
    "xyz_class": ("c.xyz_class", None, ""),
    "cluster": ("CAST(c.cluster_id AS VARCHAR)", "c.cluster_label", ""),
    "location": ("c.location_id", "l.location_name",
                 "LEFT JOIN gold.dim_location l ON l.location_id = c.location_id AND l.is_current"),
    "lag": ("CAST(c.lag AS VARCHAR)", None, ""),
    "model": ("c.model_id", None, ""),
}

#: sort name -> SQL over grouped cells, as accuracy.SLICE_SORTS over rows
CUBE_SORTS: dict[str, str] = {
    "actual_qty": "sum(c.actual_qty)",
    "forecast_qty": "sum(c.forecast_qty)",
    "abs_error": "sum(c.abs_error)",
    "n_rows": "sum(c.n_rows)",
    "wape": kpi.wape_sql("c.abs_error", "c.abs_actual"),
    "accuracy_pct": kpi.accuracy_pct_sql("c.abs_error", "c.abs_actual"),
    "bias": kpi.bias_sql("c.forecast_qty", "c.actual_qty"),
    "abs_bias": f"abs({kpi.bias_sql('c.forecast_qty', 'c.actual_qty')})",
    "key": "",
}


def serves(engine: ServingEngine, filters: DfuFilters, timeframes: tuple[str, ...] | list[str] = (),
           by: str | None = None) -> bool:
    """True if the cube is published and keeps every dimension the request filters or slices on."""
    if timeframes or not set(filters.applied()) <= CUBE_FILTERS:
        return False
    if by is not None and by not in CUBE_SLICES:
        return False
    return engine.available(CUBE) and engine.available(ROLLUP)


@dataclass(frozen=True)
class CubeRows:
    """Which cube cells to pool: the rows ``accuracy.RowSet`` names, kept as cells ``c`` of the rollup over
    locations when the request needs no location (``by``: the slice dimension), else of the cube."""

    window: TimeWindow
    lag: LagSpec
    filters: DfuFilters
    model_ids: tuple[str, ...] = ()
    aligned: bool = False
    by: str | None = None

    @property
    def table(self) -> str:
        needs_location = {*self.filters.applied(), self.by} & LOCATION_DIMENSIONS
        return CUBE if needs_location else ROLLUP

    def sql(self, extra_joins: str = "") -> tuple[str, list[Any]]:
        """``FROM ... WHERE ...`` over cells ``c`` and its parameters."""
        clauses: list[str] = []
        w, params = window_sql("c.target_month", self.window)
        clauses.append(w)
        if self.lag.text == "execution":
            clauses.append("c.is_execution_lag")
        elif self.lag.text != "all":
            clauses.append("c.lag = ?")
            params.append(int(self.lag.text))
        if self.model_ids:
            c, p = in_list("c.model_id", list(self.model_ids))
            clauses.append(c)
            params += p
        if self.aligned:
            clauses.append("c.is_aligned")
        fc, fp = self.filters.sql("c")
        clauses += fc
        params += fp
        return f"FROM {self.table} c {extra_joins} WHERE {where(clauses)}", params

    def metric_columns(self, *, by_lag: bool = False, per_month: bool = False) -> tuple[str, list[Any]]:
        """SELECT list of the sums of ``common.metric_columns`` over cells, and its parameters (they come before
        the FROM's). ``by_lag``: the groups are lags; ``per_month``: the groups are target months."""
        if self.aligned:
            prev = "c.prev_month_aligned"
        elif self.lag.text == "all" and not by_lag:
            prev = "c.prev_month_any"
        else:
            prev = "c.prev_month_lag"
        since, params = ("c.target_month", []) if per_month else ("?", [self.window.from_month])
        n_dfus = f"sum(CASE WHEN {prev} IS NULL OR {prev} < {since} THEN c.n_rows ELSE 0 END)"
        sums = ", ".join(f"sum(c.{name}) AS {name}" for name in kpi.SUMS)
        return f"sum(c.n_rows) AS n_rows, {n_dfus} AS n_dfus, {sums}", params


# ---------------------------------------------------------------------------------------------- exceptions_topn
def topn_serves(engine: ServingEngine, *, model: str, ref: str, window: TimeWindow, filters: DfuFilters,
                n: int, offset: int) -> bool:
    """True if ``gold.exceptions_topn`` holds this page: no filters, a window ending at the last backtested
    month, and a model, reference and window it keeps."""
    if filters.applied() or offset + n > TOPN_RANKS or window.to_month != window.anchor_month:
        return False
    if window.months is None or window.months > TOPN_WINDOWS or not engine.available(TOPN):
        return False
    kept = engine.cached(("topn_lists",), lambda: {
        (r["model_id"], r["fva_vs"], r["window_from"], r["window_to"]) for r in engine.query(
            f"SELECT DISTINCT model_id, fva_vs, window_from, window_to FROM {TOPN}")})
    return (model, ref, window.from_month, window.to_month) in kept


def topn_page(engine: ServingEngine, *, rank_by: str, model: str, ref: str, window: TimeWindow, lag: LagSpec,
              n: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The page's rows (ranked, as the ranking query returns them) and the total number of DFUs ranked."""
    keys = "rank_by = ? AND lag_spec = ? AND model_id = ? AND fva_vs = ? AND window_from = ? AND window_to = ?"
    params: list[Any] = [rank_by, lag.text, model, ref, window.from_month, window.to_month]
    rows = engine.query(f"SELECT * FROM {TOPN} WHERE {keys} AND rank > ? AND rank <= ? ORDER BY rank",
                        [*params, offset, offset + n])
    if rows:
        return [{**r, "n_dfus": 1} for r in rows], int(rows[0]["total"])
    total = engine.query(f"SELECT max(total) AS n FROM {TOPN} WHERE {keys}", params)
    return [], int(total[0]["n"] or 0) if total else 0
