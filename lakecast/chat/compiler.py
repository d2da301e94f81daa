"""Intent -> one SELECT, built as a sqlglot AST in the Trino dialect over the served gold tables.

Shape of every query: ``SELECT <dimensions>, <metrics> FROM <fact> f [JOIN gold.dim_dfu d ...]
[JOIN <same fact> bn/bx for FVA] WHERE <source defaults> AND <filters> AND <time> GROUP BY <dimensions>
ORDER BY ... LIMIT n``. Values are always literals built by sqlglot (quoted by it), never pasted text.

Defaults (stated back to the user in ``notes``): accuracy and forecast questions that name no model mean the
``champion``; forecast quantities come from the ``baseline`` scenario unless "final" is asked; forecast
quantities of past months come from the backtest at lag 0 unless a lag is asked; sales questions without a
time window cover the last ``default_sales_months`` months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from lakecast.chat.intent import Intent
from lakecast.chat.semantic import ACCURACY_ONLY, DEFAULT_MODEL, DIMENSIONS, FACT, METRICS, SOURCES, Source
from lakecast.chat.timeexpr import TimeRange
from lakecast.chat.vocab import Vocabulary
from lakecast.lag import add_months

DIALECT = "trino"
FVA_ALIASES = {"seasonal_naive": "bn", "external": "bx"}


class CompileError(ValueError):
    """The intent cannot be answered from the served tables; the message says why and what would work."""


@dataclass
class Compiled:
    sql: str
    ast: exp.Select
    source: str
    dimensions: list[str]  # output column names of the dimensions, in order
    metrics: list[str]  # output column names of the metrics, in order
    notes: list[str] = field(default_factory=list)
    ordered: bool = False  # True when the order is part of the answer (top/bottom N)
    time: TimeRange | None = None  # the window actually applied (the question's or the default)


def _parse(sql: str) -> exp.Expression:
    parsed = sqlglot.parse_one(sql, read=DIALECT)
    assert isinstance(parsed, exp.Expression)
    return parsed


def _date(d: dt.date) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(d.isoformat()), to=exp.DataType.build("date"))


def _in(column: exp.Expression, values: list[str] | list[int]) -> exp.Expression:
    lits = [exp.Literal.number(v) if isinstance(v, int) else exp.Literal.string(str(v)) for v in values]
    if len(lits) == 1:
        return exp.EQ(this=column.copy(), expression=lits[0])
    return exp.In(this=column.copy(), expressions=lits)


def resolve_source(intent: Intent, vocab: Vocabulary) -> str:
    """Pick the fact table that can answer every metric and dimension of ``intent``."""
    metrics = set(intent.metrics)
    dims = set(intent.group_by) | set(intent.filters)
    if "override_count" in metrics:
        raise CompileError("override counts live in the app database, not in the lakehouse tables chat "
                           "queries; see the Overrides page (GET /overrides) for them")
    if "champion_dfus" in metrics:
        return "champions"
    if dims & {"customer", "segment"}:
        bad = metrics - {"actual_qty", "revenue"}
        if bad:
            raise CompileError("customer-level figures exist only for actual units and revenue "
                               f"(gold.agg_loc_customer_week), not for {', '.join(sorted(bad))}")
        return "customer_sales"
    if metrics & set(ACCURACY_ONLY):
        return "accuracy"
    if "forecast_qty" in metrics:
        if "actual_qty" in metrics or intent.lags or intent.execution_lag:
            return "accuracy"
        if intent.time is not None and intent.time.end <= vocab.anchor and intent.scenario is None:
            return "accuracy"
        return "forecast"
    if dims & {"model", "lag", "timeframe"} or intent.models or intent.lags or intent.execution_lag:
        return "accuracy"
    future = intent.time is not None and intent.time.start > vocab.anchor
    if future and all("forecast" in METRICS[m].sql for m in metrics):
        return "forecast"  # only forecasts exist after the last month of actuals
    return "sales"


def _check_supported(intent: Intent, source: Source) -> None:
    for name in intent.metrics:
        if source.name not in METRICS[name].sql:
            raise CompileError(f"{METRICS[name].label} cannot be computed from {source.table} "
                               f"({source.description})")
    for name in [*intent.group_by, *intent.filters]:
        if source.name not in DIMENSIONS[name].sql:
            raise CompileError(f"'{name}' is not available for {source.description} ({source.table})")
    if intent.time is not None and not source.time_column:
        raise CompileError(f"{source.table} holds only the latest competition; it has no time axis")


class Compiler:
    """Builds the AST for an intent; ``max_rows`` caps the LIMIT."""

    def __init__(self, vocab: Vocabulary, *, max_rows: int = 1000, default_sales_months: int = 12):
        self.vocab = vocab
        self.max_rows = max_rows
        self.default_sales_months = default_sales_months

    def compile(self, intent: Intent) -> Compiled:
        if not intent.metrics:
            raise CompileError("I could not tell what to measure. Known metrics: "
                               + ", ".join(m.label for m in METRICS.values()))
        source = SOURCES[resolve_source(intent, self.vocab)]
        intent.source = source.name
        _check_supported(intent, source)
        notes: list[str] = []
        select = exp.Select()
        dim_exprs = {d: _parse(DIMENSIONS[d].sql[source.name]) for d in intent.group_by}
        metric_exprs = {m: _parse(METRICS[m].sql[source.name]) for m in intent.metrics}
        for d, e in dim_exprs.items():
            select = select.select(exp.alias_(e.copy(), DIMENSIONS[d].column))
        for m, e in metric_exprs.items():
            select = select.select(exp.alias_(e.copy(), m))
        select = select.from_(exp.alias_(exp.to_table(source.table), FACT, table=True))
        where = self._source_defaults(intent, source, notes) + self._filters(intent, source)
        window = self._window(intent, source, notes)
        if window is not None:
            col = _parse(f"{FACT}.{source.time_column}")
            where += [exp.GTE(this=col.copy(), expression=_date(window.start)),
                      exp.LT(this=col.copy(), expression=_date(window.end_exclusive))]
        select = self._joins(select, intent, source, where)
        for cond in where:
            select = select.where(cond)
        if dim_exprs:
            select = select.group_by(*[e.copy() for e in dim_exprs.values()])
        select, ordered = self._order(select, intent, dim_exprs, metric_exprs)
        limit = min(intent.top_n, self.max_rows) if (ordered and intent.top_n) else self.max_rows
        select = select.limit(limit)
        return Compiled(select.sql(dialect=DIALECT), select, source.name,
                        [DIMENSIONS[d].column for d in intent.group_by], list(intent.metrics),
                        notes + intent.notes, ordered, window)

    # ------------------------------------------------------------------------------------------- pieces
    def _source_defaults(self, intent: Intent, source: Source, notes: list[str]) -> list[exp.Expression]:
        f = FACT
        if source.name == "accuracy":
            conds = [_parse(f"{f}.scenario_id = 'backtest'")]
            models = intent.models or ([] if "model" in intent.group_by else [DEFAULT_MODEL])
            if not intent.models and models:
                window = self.vocab.champion_months
                span = f" (scored on {window[0]:%Y-%m}..{window[1]:%Y-%m})" if window else ""
                notes.append(f"model: champion{span}; name a model or ask 'by model' for others")
            if models:
                conds.append(_in(_parse(f"{f}.model_id"), models))
            if "forecast_qty" in intent.metrics and not (intent.lags or intent.execution_lag):
                conds.append(_parse(f"{f}.lag = 0"))
                notes.append("forecast of past months: backtest at lag 0 (one month ahead)")
            return conds
        if source.name == "forecast":
            scenario = intent.scenario or "baseline"
            models = intent.models or ([] if "model" in intent.group_by else [DEFAULT_MODEL])
            notes.append(f"scenario: {scenario}" + (", model: champion" if not intent.models and models else ""))
            conds = [exp.EQ(this=_parse(f"{f}.scenario_id"), expression=exp.Literal.string(scenario))]
            if models:
                conds.append(_in(_parse(f"{f}.model_id"), models))
            return conds
        if source.name == "champions" and intent.models:
            return [_in(_parse(f"{f}.champion_model_id"), intent.models)]
        return []

    def _filters(self, intent: Intent, source: Source) -> list[exp.Expression]:
        conds = [_in(_parse(DIMENSIONS[d].sql[source.name]), values) for d, values in intent.filters.items()
                 if values]
        if intent.lags and source.name in ("accuracy", "forecast"):
            conds.append(_in(_parse(f"{FACT}.lag"), intent.lags))
        if intent.execution_lag and source.name in ("accuracy", "forecast"):
            conds.append(_parse(f"{FACT}.lag = d.execution_lag"))
        return conds

    def _window(self, intent: Intent, source: Source, notes: list[str]) -> TimeRange | None:
        if not source.time_column:
            return None
        window = intent.time
        if window is None and source.name in ("sales", "customer_sales"):
            n = self.default_sales_months
            window = TimeRange(add_months(self.vocab.anchor, -n + 1), self.vocab.anchor, f"last {n} months")
            notes.append(f"time: {window.describe()} (no time given)")
        return window

    def _joins(self, select: exp.Select, intent: Intent, source: Source,
               where: list[exp.Expression]) -> exp.Select:
        used = {t.table for e in [*select.expressions, *where] for t in e.find_all(exp.Column) if t.table}
        for alias, (_, on) in reversed(source.joins.items()):  # a join whose ON needs another (l on d.location_id)
            if alias in used:
                used |= {t.table for t in _parse(on).find_all(exp.Column) if t.table and t.table != FACT}
        for alias, (table, on) in source.joins.items():
            if alias in used:
                select = select.join(exp.alias_(exp.to_table(table), alias, table=True), on=_parse(on))
        for name in intent.metrics:
            baseline = METRICS[name].baseline_model
            if baseline:
                alias = FVA_ALIASES[baseline]
                on = (f"{alias}.scenario_id = f.scenario_id AND {alias}.dfu_id = f.dfu_id AND "
                      f"{alias}.fcst_origin = f.fcst_origin AND {alias}.target_month = f.target_month AND "
                      f"{alias}.model_id = '{baseline}'")
                select = select.join(exp.alias_(exp.to_table(source.table), alias, table=True), on=_parse(on))
        return select

    def _order(self, select: exp.Select, intent: Intent, dims: dict[str, exp.Expression],
               metrics: dict[str, exp.Expression]) -> tuple[exp.Select, bool]:
        time_dims = [d for d in dims if DIMENSIONS[d].is_time]
        keys: list[exp.Expression] = []
        ordered = bool(intent.order and dims and metrics)
        if ordered:
            name = intent.metrics[0]
            expr = metrics[name].copy()
            better = METRICS[name].higher_is_better
            desc = {"top": True, "bottom": False}.get(intent.order or "")
            if desc is None:  # best / worst: by goodness
                best = intent.order == "best"
                if better is None:
                    expr, desc = exp.Abs(this=expr), not best
                else:
                    desc = better if best else not better
            keys.append(exp.Ordered(this=expr, desc=desc, nulls_first=False))
        keys += [exp.Ordered(this=dims[d].copy(), nulls_first=False) for d in time_dims]
        keys += [exp.Ordered(this=e.copy(), nulls_first=False) for d, e in dims.items() if d not in time_dims]
        if keys:
            select = select.order_by(*keys)
        return select, ordered
