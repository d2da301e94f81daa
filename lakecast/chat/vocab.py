"""Words the parser knows from the data itself: item/location/customer ids and names, brands, categories,
suppliers, regions, segments, cluster labels, model ids, and the anchor month ("now" = last month of actuals).

Loaded once per engine snapshot with a handful of fixed queries; the parser then matches phrases without
touching the engine again.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lakecast.chat.semantic import MODEL_ALIASES

QueryFn = Callable[[str], list[dict[str, Any]]]

_LEGAL_SUFFIXES = ("inc", "gmbh", "co", "ltd", "llc", "bv", "sl", "s l", "sons", "corp", "ag", "sa")


#: country codes of the data -> the names planners use for them (the data holds ISO 3166 alpha-2 codes)
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "DE": ("Germany", "Deutschland", "German"), "NL": ("the Netherlands", "Netherlands", "Holland", "Dutch"),
    "FR": ("France", "French"), "PL": ("Poland", "Polish"), "BE": ("Belgium", "Belgian"),
    "AT": ("Austria", "Austrian"), "CH": ("Switzerland", "Swiss"), "IT": ("Italy", "Italian"),
    "ES": ("Spain", "Spanish"), "PT": ("Portugal", "Portuguese"), "DK": ("Denmark", "Danish"),
    "SE": ("Sweden", "Swedish"), "NO": ("Norway", "Norwegian"), "FI": ("Finland", "Finnish"),
    "CZ": ("Czechia", "Czech Republic", "Czech"), "GB": ("the United Kingdom", "United Kingdom", "UK", "Britain",
                                                         "Great Britain", "British"),
    "IE": ("Ireland", "Irish"), "LU": ("Luxembourg",), "HU": ("Hungary", "Hungarian"),
    "US": ("the United States", "United States", "USA", "America"),
}
#: location_type values (lower case) -> the words that name them; "stores"/"DCs" in a question filter on the type
LOCATION_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "store": ("store", "stores", "shop", "shops", "retail store", "retail stores", "outlet", "outlets"),
    "dc": ("dc", "dcs", "distribution centre", "distribution centres", "distribution center",
           "distribution centers", "warehouse", "warehouses", "depot", "depots"),
}


def normalize(text: str) -> str:
    """Lower-case, accents folded, separators (``- _ /``) to spaces, other punctuation dropped, spaces collapsed.

    ``|`` survives (DFU ids) and ``%`` too. The same function is applied to questions and to known values, so
    "DE-North" in data matches "de north" or "DE-North" in a question."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[-_/]", " ", text)
    text = re.sub(r"[^a-z0-9|% ]", "", text.replace("&", " and "))
    return re.sub(r"\s+", " ", text).strip()


def _aliases(value: str) -> set[str]:
    """Return the phrases that name ``value``: its normal form, and for company names the form without
    the legal suffix ("Nordic Foods, Inc." -> "nordic foods")."""
    base = normalize(value)
    out = {base} if base else set()
    words = base.split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words = words[:-1]
        out.add(" ".join(words))
    return out


@dataclass
class Vocabulary:
    """Known values per dimension (phrase -> canonical value), known models, and the data's calendar."""

    anchor: dt.date
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # dim -> phrase -> value
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # dim -> value -> display name
    models: dict[str, str] = field(default_factory=dict)  # phrase -> model_id
    model_ids: tuple[str, ...] = ()
    champion_months: tuple[dt.date, dt.date] | None = None  # target months the champion is scored on
    forecast_months: tuple[dt.date, dt.date] | None = None  # forward (baseline) target months
    tables: tuple[str, ...] = ()  # served tables that exist

    def add(self, dim: str, value: str | None, *names: str | None, value_is_phrase: bool = True) -> None:
        """Learn ``value`` of ``dim`` under its own name (unless ``value_is_phrase`` is False, e.g. class
        letters like "A") and under ``names``; the first name is its display label."""
        if value is None or value == "":
            return
        phrases = self.values.setdefault(dim, {})
        for name in ((value,) if value_is_phrase else ()) + names:
            if name:
                for phrase in _aliases(str(name)):
                    phrases.setdefault(phrase, str(value))
        if names and names[0]:
            self.labels.setdefault(dim, {})[str(value)] = str(names[0])

    def add_models(self, model_ids: Iterable[str]) -> None:
        ids = sorted(set(model_ids))
        self.model_ids = tuple(ids)
        for mid in ids:
            self.models.setdefault(normalize(mid), mid)
        for phrase, mid in MODEL_ALIASES.items():
            if mid in ids:
                self.models.setdefault(normalize(phrase), mid)


def load_vocabulary(query: QueryFn, tables: Iterable[str] = (),
                    published: Callable[[str], bool] | None = None) -> Vocabulary:
    """Read the vocabulary with fixed queries through ``query`` (Trino SQL in, rows as dicts out).

    ``published(table)`` says whether a table is published yet (default: every one is): an unpublished table (e.g.
    the forecast tables before the forecast job ran) contributes no words; a query that fails on a published table
    raises (an engine error never turns into a silently smaller vocabulary)."""

    def _rows(table: str, sql: str) -> list[dict[str, Any]]:
        return query(sql) if published is None or published(table) else []

    last = _rows("gold.fact_sales_monthly", "SELECT MAX(month_start) AS m FROM gold.fact_sales_monthly")
    anchor = last[0]["m"] if last and last[0]["m"] else dt.date.today().replace(day=1)
    vocab = Vocabulary(anchor=anchor, tables=tuple(tables))
    for r in _rows("gold.dim_item", "SELECT item_id, item_name FROM gold.dim_item WHERE is_current"):
        vocab.add("item", r["item_id"], r["item_name"])
    locations = _rows("gold.dim_location", "SELECT location_id, location_name, location_type, country "
                      "FROM gold.dim_location WHERE is_current")
    for r in locations:
        vocab.add("location", r["location_id"], r["location_name"])
        code = r["country"]
        if code:
            vocab.add("country", code, *COUNTRY_NAMES.get(str(code).upper(), ()))
        kind = r["location_type"]
        if kind:
            vocab.add("location_type", kind, *LOCATION_TYPE_WORDS.get(str(kind).lower(), ()), value_is_phrase=False)
    for r in _rows("gold.dim_customer",
                   "SELECT customer_id, customer_name, segment FROM gold.dim_customer WHERE is_current"):
        vocab.add("customer", r["customer_id"], r["customer_name"])
        vocab.add("segment", r["segment"])
    dfu_sql = ("SELECT DISTINCT brand, category, supplier, region, cluster_label, abc_class, xyz_class "
               "FROM gold.dim_dfu")
    for r in _rows("gold.dim_dfu", dfu_sql):
        for dim in ("brand", "category", "supplier", "region"):
            vocab.add(dim, r[dim])
        vocab.add("cluster", r["cluster_label"])
        if r["abc_class"]:
            vocab.add("abc_class", r["abc_class"], f"class {r['abc_class']}", f"{r['abc_class']} items",
                      f"{r['abc_class']} class", value_is_phrase=False)
        if r["xyz_class"]:
            vocab.add("xyz_class", r["xyz_class"], f"class {r['xyz_class']}", f"{r['xyz_class']} items",
                      f"{r['xyz_class']} class", value_is_phrase=False)
    models = _rows("gold.fact_forecast_accuracy", "SELECT DISTINCT model_id FROM gold.fact_forecast_accuracy")
    vocab.add_models(r["model_id"] for r in models)
    champ = _rows("gold.fact_forecast_accuracy", "SELECT MIN(target_month) AS a, MAX(target_month) AS b "
                  "FROM gold.fact_forecast_accuracy WHERE model_id = 'champion'")
    if champ and champ[0]["a"]:
        vocab.champion_months = (champ[0]["a"], champ[0]["b"])
    fwd = _rows("gold.fact_forecast", "SELECT MIN(target_month) AS a, MAX(target_month) AS b "
                "FROM gold.fact_forecast WHERE scenario_id = 'baseline'")
    if fwd and fwd[0]["a"]:
        vocab.forecast_months = (fwd[0]["a"], fwd[0]["b"])
    return vocab
