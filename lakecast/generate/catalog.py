"""Static reference data for the generator: categories (with seasonality shapes), brands, places, segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Category:
    """A product category and the demand traits its items share."""

    name: str
    weight: float  # share of items
    subcategories: tuple[str, ...]
    nouns: tuple[str, ...]
    seasonality: tuple[float, ...]  # Jan..Dec multiplicative index (normalised to mean 1 on use)
    median_price: float
    promo_rate: float  # probability an item runs a promotion in a given month
    intermittent_share: float  # share of this category's DFUs that are intermittent (lumpy, many zeros)
    dc_affinity: float  # relative weight of DCs vs stores when choosing where an item sells
    uoms: tuple[str, ...] = ("EA",)
    sizes: tuple[str, ...] = ("S", "M", "L")


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Beverages",
        0.16,
        ("Soft Drinks", "Water", "Juice"),
        ("Cola", "Lemonade", "Sparkling Water", "Orange Juice", "Iced Tea", "Energy Drink"),
        (0.75, 0.75, 0.85, 0.95, 1.1, 1.3, 1.45, 1.4, 1.1, 0.9, 0.8, 0.95),
        1.9,
        0.10,
        0.05,
        0.6,
        ("EA", "PK", "L"),
        ("330ml", "500ml", "1L", "1.5L", "6-pack", "12-pack"),
    ),
    Category(
        "Ice Cream",
        0.06,
        ("Tubs", "Sticks"),
        ("Vanilla Tub", "Choc Stick", "Sorbet", "Cone"),
        (0.4, 0.45, 0.65, 0.9, 1.3, 1.8, 2.1, 1.9, 1.2, 0.7, 0.45, 0.5),
        3.5,
        0.08,
        0.10,
        0.4,
        ("EA",),
        ("100ml", "500ml", "900ml", "4-pack"),
    ),
    Category(
        "Confectionery",
        0.10,
        ("Chocolate", "Candy"),
        ("Milk Chocolate", "Pralines", "Gummies", "Mints", "Caramels"),
        (0.8, 0.85, 1.1, 1.25, 0.85, 0.8, 0.8, 0.8, 0.9, 1.0, 1.3, 1.9),
        2.4,
        0.09,
        0.05,
        0.6,
        ("EA",),
        ("100g", "200g", "400g"),
    ),
    Category(
        "Toys & Gifts",
        0.08,
        ("Toys", "Gift Sets"),
        ("Building Set", "Plush Bear", "Puzzle", "Gift Box", "Board Game"),
        (0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.75, 0.8, 1.0, 1.9, 3.0),
        19.0,
        0.05,
        0.35,
        0.8,
        ("EA",),
        ("3+", "6+", "8+"),
    ),
    Category(
        "Household",
        0.16,
        ("Cleaning", "Paper"),
        ("Dish Soap", "Kitchen Roll", "Detergent", "Sponges", "Trash Bags"),
        (1.0,) * 12,
        4.5,
        0.07,
        0.10,
        0.8,
        ("EA", "PK"),
        ("500ml", "1L", "4-pack", "8-pack"),
    ),
    Category(
        "Personal Care",
        0.12,
        ("Hair", "Body"),
        ("Shampoo", "Shower Gel", "Toothpaste", "Deodorant"),
        (0.97, 0.95, 1.0, 1.0, 1.02, 1.05, 1.06, 1.04, 1.0, 0.97, 0.96, 0.98),
        3.9,
        0.07,
        0.10,
        0.6,
        ("EA",),
        ("75ml", "250ml", "400ml"),
    ),
    Category(
        "Garden",
        0.08,
        ("Plants", "Tools"),
        ("Flower Seeds", "Potting Soil", "Hose", "Shears", "Fertiliser"),
        (0.3, 0.4, 0.9, 1.6, 2.0, 1.8, 1.4, 1.0, 0.7, 0.5, 0.3, 0.3),
        8.5,
        0.05,
        0.30,
        1.0,
        ("EA", "KG"),
        ("1kg", "5kg", "20L", "25m"),
    ),
    Category(
        "Winter",
        0.08,
        ("Heating", "Winter Wear"),
        ("Heater", "Gloves", "Wool Socks", "Scarf", "De-Icer"),
        (1.8, 1.5, 1.1, 0.7, 0.45, 0.35, 0.35, 0.45, 0.7, 1.1, 1.6, 1.9),
        14.0,
        0.04,
        0.30,
        1.0,
        ("EA",),
        ("S", "M", "L", "XL", "2kW"),
    ),
    Category(
        "School Supplies",
        0.06,
        ("Paper", "Writing"),
        ("Notebook", "Pencil Case", "Ruler", "Markers"),
        (0.7, 0.6, 0.6, 0.6, 0.6, 0.7, 1.2, 2.4, 1.9, 0.8, 0.7, 0.7),
        3.2,
        0.06,
        0.25,
        0.8,
        ("EA", "PK"),
        ("A4", "A5", "10-pack"),
    ),
    Category(
        "Spare Parts",
        0.10,
        ("Filters", "Fittings"),
        ("Filter Cartridge", "Valve", "Gasket", "Bearing", "Fuse"),
        (1.0,) * 12,
        27.0,
        0.0,
        0.85,
        6.0,
        ("EA",),
        ("10mm", "22mm", "1/2in", "Type B"),
    ),
)

BRAND_STEMS = (
    "Aurora",
    "Bravo",
    "Cresta",
    "Dolce",
    "Evergreen",
    "Fjord",
    "Granite",
    "Helios",
    "Iris",
    "Juno",
    "Kestrel",
    "Lumo",
    "Meridian",
    "Nova",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Riva",
    "Solis",
    "Tundra",
    "Umbra",
    "Vireo",
    "Willow",
    "Xeno",
    "Yarrow",
    "Zephyr",
)
BRAND_SUFFIXES = ("", " Select", " Home", " Basics", " Pro")

SUPPLIERS = (
    "Nordic Foods, Inc.",
    "Brightline Trading GmbH",
    "Cascade Supply Co.",
    "Delta Wholesale Ltd",
    "Eastgate Manufacturing",
    "Fairway Imports, LLC",
    "Global Goods & Sons",
    "Harbor Brands BV",
    "Iberia Distribución S.L.",
    "Juniper Partners",
    "Keystone Products",
    "Lindqvist & Co.",
)

ADJECTIVES = ("Classic", "Original", "Premium", "Light", "Extra", "Family", "Mini", "Organic", "Max")
LEAD_TIMES = np.array([7, 10, 14, 21, 28, 35, 42, 56])

# country -> sales regions of that country (regions are reassigned only within a country)
REGIONS: dict[str, tuple[str, ...]] = {
    "DE": ("DE-North", "DE-South", "DE-West", "DE-East"),
    "NL": ("NL-Randstad", "NL-South"),
    "FR": ("FR-North", "FR-Paris", "FR-South"),
    "PL": ("PL-Central", "PL-South"),
}
# region -> cities in it (a location's city stays put when its sales region is reassigned)
CITIES: dict[str, tuple[str, ...]] = {
    "DE-North": ("Hamburg", "Bremen", "Kiel"),
    "DE-South": ("Munich", "Stuttgart", "Nuremberg"),
    "DE-West": ("Cologne", "Dusseldorf", "Dortmund"),
    "DE-East": ("Berlin", "Leipzig", "Dresden"),
    "NL-Randstad": ("Amsterdam", "Rotterdam", "Utrecht"),
    "NL-South": ("Eindhoven", "Maastricht", "Breda"),
    "FR-North": ("Lille", "Rouen", "Amiens"),
    "FR-Paris": ("Paris", "Versailles", "Saint-Denis"),
    "FR-South": ("Lyon", "Marseille", "Toulouse"),
    "PL-Central": ("Warsaw", "Lodz", "Poznan"),
    "PL-South": ("Krakow", "Wroclaw", "Katowice"),
}
COUNTRY_WEIGHTS = {"DE": 0.45, "NL": 0.15, "FR": 0.28, "PL": 0.12}
DISTRICTS = ("Mitte", "Nord", "Süd", "Ost", "West", "Centre", "Airport", "Harbour")

SEGMENTS = ("Key Account", "Wholesale", "Retail Chain", "HoReCa", "Online")
SEGMENT_WEIGHTS = (0.1, 0.3, 0.25, 0.25, 0.1)
CUSTOMER_STEMS = (
    "Alpha",
    "Bistro",
    "Corner",
    "Daily",
    "Express",
    "Fresh",
    "Grand",
    "Hotel",
    "Inn",
    "Kiosk",
    "Market",
    "Quick",
    "Royal",
    "Star",
    "Urban",
    "Village",
)
CUSTOMER_KINDS = ("Market", "Trading", "Café", "Hotel", "Foods", "Kiosk", "Catering", "Stores")

# relative sales by weekday, Monday first
STORE_WEEKDAY = np.array([0.85, 0.85, 0.9, 1.0, 1.25, 1.45, 0.55])
DC_WEEKDAY = np.array([1.1, 1.0, 1.0, 1.0, 0.95, 0.08, 0.0])


def seasonality_matrix() -> np.ndarray:
    """(n_categories, 12) seasonal indices, each row normalised to mean 1."""
    s = np.array([c.seasonality for c in CATEGORIES], dtype=float)
    return s / s.mean(axis=1, keepdims=True)
