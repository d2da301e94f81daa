"""The semantic layer over gold: sources (fact tables), metrics, dimensions and their words.

Everything the parser may understand and the compiler may emit is declared here, as data. Metric formulas are
the pooled definitions of :mod:`lakecast.kpi` (sums over all rows of the slice, never an average of per-DFU
scores), rendered by it as Trino SQL over the fact alias ``f``. Attribute dimensions (brand, category,
supplier, region, ABC/XYZ class, cluster) are the DFU's *current* attributes from ``gold.dim_dfu``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lakecast import kpi

FACT = "f"  # alias of the fact table in every compiled query


@dataclass(frozen=True)
class Source:
    """One fact table the compiler can aggregate."""

    name: str
    table: str
    time_column: str  # "" = the source has no time axis
    description: str
    # joins this source can make, by alias: alias -> (table, ON condition in Trino SQL)
    joins: dict[str, tuple[str, str]] = field(default_factory=dict)


_DFU_JOIN = {"d": ("gold.dim_dfu", "d.dfu_id = f.dfu_id")}
# the location's current attributes (country, store/DC type); dim_dfu carries the region but not these
_LOCATION_JOIN = {"l": ("gold.dim_location", "l.location_id = f.location_id AND l.is_current")}

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("sales", "gold.fact_sales_monthly", "month_start",
               "monthly units and revenue per DFU (actuals)", {**_DFU_JOIN, **_LOCATION_JOIN}),
        Source("accuracy", "gold.fact_forecast_accuracy", "target_month",
               "backtest forecasts joined to actuals, every model and the legacy ('external') forecast",
               {**_DFU_JOIN, **_LOCATION_JOIN}),
        Source("forecast", "gold.fact_forecast", "target_month",
               "forecasts per scenario (baseline = forward statistical forecast, final = with overrides)",
               {**_DFU_JOIN, **_LOCATION_JOIN}),
        Source("champions", "gold.champion_selection", "",
               "the latest model competition: one row per DFU with its champion model",
               {**_DFU_JOIN, "l": ("gold.dim_location", "l.location_id = d.location_id AND l.is_current")}),
        Source("customer_sales", "gold.agg_loc_customer_week", "week_start",
               "weekly units and revenue per location x customer (customer sales only)",
               {"c": ("gold.dim_customer", "c.customer_id = f.customer_id AND c.is_current"),
                "l": ("gold.dim_location", "l.location_id = f.location_id AND l.is_current")}),
    )
}


@dataclass(frozen=True)
class Metric:
    """A measure: its SQL per source (``{b}`` = the baseline alias for FVA), words, unit and direction."""

    name: str
    label: str
    synonyms: tuple[str, ...]
    unit: str  # units | currency | % | pp (percentage points) | count
    higher_is_better: bool | None
    definition: str
    sql: dict[str, str]  # source name -> aggregate expression over alias f
    baseline_model: str | None = None  # FVA: join the same rows of this model as alias b

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.sql)


# FVA: the baseline model's rows for the same DFU, origin and target month are joined as alias bn / bx
def _fva(b: str) -> str:
    return kpi.fva_sql("f.abs_error", f"{b}.abs_error", "f.actual_qty")


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy_pct", "accuracy %",
               ("accuracy", "accurate", "forecast accuracy", "accuracy %", "accuracy percent", "how good",
                "how well", "perform", "performance", "performed", "performing"),
               "%", True, "100 x (1 - WAPE), floored at 0; pooled over the rows of the slice",
               {"accuracy": kpi.accuracy_pct_sql("f.abs_error", "f.actual_qty")}),
        Metric("wape_pct", "WAPE %", ("wape", "weighted absolute percentage error", "weighted error", "error",
                                      "errors", "miss", "missed", "missing", "misses", "off"),
               "%", False, "100 x sum|F - A| / sum|A| (weighted absolute percentage error)",
               {"accuracy": f"100.0 * {kpi.wape_sql('f.abs_error', 'f.actual_qty')}"}),
        Metric("mape_pct", "MAPE %", ("mape", "mean absolute percentage error", "percentage error"),
               "%", False, "mean of 100 x |F - A| / |A| over rows whose actual is not 0",
               {"accuracy": kpi.mape_sql("f.abs_error", "f.actual_qty")}),
        Metric("bias_pct", "bias %", ("bias", "biased", "over forecast", "under forecast", "overforecast",
                                      "underforecast", "over forecasting", "under forecasting"),
               "%", None, "100 x (sum F / sum A - 1); positive = over-forecast",
               {"accuracy": f"100.0 * {kpi.bias_sql('f.fcst_qty', 'f.actual_qty')}"}),
        Metric("fva_naive_pp", "FVA vs seasonal naive (pp)",
               ("fva", "forecast value add", "forecast value added", "value add", "value added",
                "fva vs naive", "fva vs seasonal naive", "better than naive", "beat naive",
                "better than seasonal naive", "value add vs naive"),
               "pp", True, "accuracy % minus the seasonal naive forecast's accuracy % on the same rows",
               {"accuracy": _fva("bn")}, baseline_model="seasonal_naive"),
        Metric("fva_external_pp", "FVA vs legacy forecast (pp)",
               ("fva vs external", "fva vs legacy", "fva vs the legacy forecast", "better than legacy",
                "beat legacy", "value add vs legacy", "better than the legacy", "better than the legacy forecast",
                "beat the legacy forecast", "fva vs legacy forecast", "fva vs external forecast"),
               "pp", True, "accuracy % minus the legacy (external) forecast's accuracy % on the same rows",
               {"accuracy": _fva("bx")}, baseline_model="external"),
        Metric("actual_qty", "actual units",
               ("actual", "actuals", "actual qty", "actual quantity", "sales", "sold", "sell", "sells",
                "selling", "units", "units sold", "volume", "demand", "quantity", "qty", "shipments", "ship", "ships",
                "shipped", "shipping", "bought", "buy", "buys", "purchased", "ordered units", "delivered"),
               "units", True, "sum of units sold",
               {"sales": "SUM(f.qty)", "accuracy": "SUM(f.actual_qty)", "customer_sales": "SUM(f.qty)"}),
        Metric("revenue", "revenue", ("revenue", "turnover", "sales value", "money", "income"),
               "currency", True, "sum of qty x unit price",
               {"sales": "SUM(f.revenue)", "customer_sales": "SUM(f.revenue)"}),
        Metric("avg_selling_price", "average selling price",
               ("average selling price", "avg selling price", "asp", "average price", "avg price", "mean price",
                "selling price", "price per unit", "unit price", "revenue per unit", "price", "prices"),
               "currency", None, "revenue / units sold (a volume-weighted average price)",
               {"sales": "SUM(f.revenue) / NULLIF(SUM(f.qty), 0)",
                "customer_sales": "SUM(f.revenue) / NULLIF(SUM(f.qty), 0)"}),
        Metric("promo_share_pct", "promo share %",
               ("promo", "promotion", "promotions", "promo share", "on promotion", "promoted"),
               "%", None, "100 x units sold on promotion / units sold",
               {"sales": "100.0 * SUM(f.promo_qty) / NULLIF(SUM(f.qty), 0)"}),
        Metric("forecast_qty", "forecast units",
               ("forecast", "forecasts", "forecasted", "forecast qty", "forecast quantity", "forecast units",
                "predicted", "prediction", "predictions", "expected", "projected", "plan", "expecting", "expect",
                "anticipated", "anticipate"),
               "units", None, "sum of forecast units",
               {"forecast": "SUM(f.fcst_qty)", "accuracy": "SUM(f.fcst_qty)"}),
        Metric("dfu_count", "DFUs", ("dfus", "dfu count", "number of dfus", "how many dfus", "series count"),
               "count", None, "distinct DFUs (item x location) with rows in the slice",
               {"sales": "COUNT(DISTINCT f.dfu_id)", "accuracy": "COUNT(DISTINCT f.dfu_id)",
                "forecast": "COUNT(DISTINCT f.dfu_id)"}),
        Metric("champion_dfus", "DFUs won as champion",
               ("champion count", "times champion", "wins", "won", "win", "chosen", "selected", "picked",
                "champion most often", "most often champion"),
               "count", True, "DFUs whose champion (latest competition) is the model",
               {"champions": "COUNT(*)"}),
        Metric("override_count", "overrides", ("overrides", "override", "override count", "adjustments",
                                               "manual changes"),
               "count", None, "planner overrides (app database, not the lakehouse)", {}),
    )
}

#: metrics answered only by the accuracy fact (their presence sends the question there)
ACCURACY_ONLY = tuple(n for n, m in METRICS.items() if m.sources == ("accuracy",))


@dataclass(frozen=True)
class Dimension:
    """A grouping/filter attribute: its output column, words and SQL per source."""

    name: str
    column: str  # output column name
    synonyms: tuple[str, ...]
    sql: dict[str, str]  # source -> expression (may use join aliases d, c, l)
    is_time: bool = False
    description: str = ""


def _all(expr: str, sources: tuple[str, ...] = ("sales", "accuracy", "forecast", "champions")) -> dict[str, str]:
    return dict.fromkeys(sources, expr)


def _time(fn: str) -> dict[str, str]:
    return {s.name: fn.format(t=f"f.{s.time_column}") for s in SOURCES.values() if s.time_column}


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("item", "item_id", ("item", "items", "product", "products", "sku", "skus", "article"),
                  {**_all("f.item_id"), "champions": "d.item_id"}),
        Dimension("location", "location_id",
                  ("location", "locations", "store", "stores", "site", "sites", "dc", "dcs", "warehouse"),
                  {**_all("f.location_id"), "champions": "d.location_id", "customer_sales": "f.location_id"}),
        Dimension("dfu", "dfu_id", ("dfu", "dfus", "series", "item location", "item x location"),
                  _all("f.dfu_id")),
        Dimension("brand", "brand", ("brand", "brands"), _all("d.brand")),
        Dimension("category", "category", ("category", "categories", "product category"), _all("d.category")),
        Dimension("supplier", "supplier", ("supplier", "suppliers", "vendor", "vendors"), _all("d.supplier")),
        Dimension("region", "region", ("region", "regions", "area", "areas"),
                  {**_all("d.region"), "customer_sales": "l.region"}),
        Dimension("country", "country", ("country", "countries"),
                  {**_all("l.country"), "customer_sales": "l.country"},
                  description="the location's current country (gold.dim_location)"),
        Dimension("location_type", "location_type",
                  ("location type", "location types", "store type", "type of location", "store or dc",
                   "store vs dc", "stores vs dcs", "channel"),
                  {**_all("l.location_type"), "customer_sales": "l.location_type"},
                  description="the location's current type: store or DC (gold.dim_location)"),
        Dimension("customer", "customer_id", ("customer", "customers", "client", "clients", "account",
                                              "accounts"), {"customer_sales": "f.customer_id"}),
        Dimension("segment", "segment", ("segment", "segments", "customer segment"), {"customer_sales": "c.segment"}),
        Dimension("cluster", "cluster_label", ("cluster", "clusters", "demand pattern", "pattern", "segmentation"),
                  _all("d.cluster_label")),
        Dimension("abc_class", "abc_class", ("abc", "abc class", "abc classes"), _all("d.abc_class")),
        Dimension("xyz_class", "xyz_class", ("xyz", "xyz class", "xyz classes"), _all("d.xyz_class")),
        Dimension("model", "model_id", ("model", "models", "algorithm", "algorithms", "method", "methods"),
                  {"accuracy": "f.model_id", "forecast": "f.model_id", "champions": "f.champion_model_id"}),
        Dimension("lag", "lag", ("lag", "lags", "horizon", "horizons"),
                  {"accuracy": "f.lag", "forecast": "f.lag"}),
        Dimension("timeframe", "timeframe", ("timeframe", "timeframes", "origin", "origins", "backtest origin"),
                  {"accuracy": "f.timeframe"}),
        Dimension("scenario", "scenario_id", ("scenario", "scenarios"), {"forecast": "f.scenario_id"}),
        Dimension("month", "month", ("month", "months", "monthly", "trend", "over time", "per month",
                                     "month by month", "time series"),
                  _time("DATE_TRUNC('month', {t})"), is_time=True),
        Dimension("quarter", "quarter", ("quarter", "quarters", "quarterly"),
                  _time("DATE_TRUNC('quarter', {t})"), is_time=True),
        Dimension("year", "year", ("year", "years", "yearly", "annual", "annually"),
                  _time("YEAR({t})"), is_time=True),
    )
}

#: dimensions whose values the parser recognises in a question (filter values)
VALUE_DIMENSIONS = ("item", "location", "brand", "category", "supplier", "region", "country", "location_type",
                    "customer", "segment", "cluster", "abc_class", "xyz_class")

#: model words -> model_id (more are added from the data: every model_id seen in the accuracy fact)
MODEL_ALIASES: dict[str, str] = {
    "seasonal naive": "seasonal_naive", "naive": "seasonal_naive", "snaive": "seasonal_naive",
    "theta": "theta", "optimized theta": "optimized_theta", "dynamic optimized theta": "dynamic_optimized_theta",
    "croston": "croston_optimized", "tsb": "tsb", "adida": "adida", "ets": "auto_ets", "auto ets": "auto_ets",
    "arima": "auto_arima", "auto arima": "auto_arima",
    "lightgbm": "lgbm_global", "lgbm": "lgbm_global", "lightgbm global": "lgbm_global",
    "lgbm transfer": "lgbm_transfer", "lightgbm transfer": "lgbm_transfer",
    "lgbm per cluster": "lgbm_per_cluster", "catboost": "catboost_global", "xgboost": "xgb_global",
    "combo": "combo_mean", "combination": "combo_mean", "ensemble": "combo_mean",
    "champion": "champion", "champions": "champion", "ceiling": "ceiling", "oracle": "ceiling",
    "legacy": "external", "legacy forecast": "external", "external": "external", "external forecast": "external",
}

#: the model a question about "the forecast"/"accuracy" means when it names none: the chosen champion
DEFAULT_MODEL = "champion"
#: scenario words for the forecast source
SCENARIO_WORDS = {"final": "final", "baseline": "baseline", "statistical": "baseline", "backtest": "backtest"}


def metric_words() -> dict[str, str]:
    """Return every metric phrase -> metric name (names themselves included)."""
    out: dict[str, str] = {}
    for m in METRICS.values():
        for w in (m.name.replace("_", " "), *m.synonyms):
            out.setdefault(w, m.name)
    return out


def dimension_words() -> dict[str, str]:
    """Return every dimension phrase -> dimension name."""
    out: dict[str, str] = {}
    for d in DIMENSIONS.values():
        for w in (d.name.replace("_", " "), *d.synonyms):
            out.setdefault(w, d.name)
    return out


def served_tables() -> dict[str, tuple[str, ...]]:
    """Return ``{"gold.table": columns}`` of every served table (the guard's allow-list)."""
    from contracts.registry import TABLES

    return {fqn: tuple(spec.column_names()) for fqn, spec in TABLES.items() if spec.served}
