"""Generator scales: how many items, locations, DFUs and months each scale produces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleSpec:
    """Size knobs of one generator scale.

    ``n_dfus`` is a target: the DFU (item x location) sample lands within a few percent of it.
    ``lines_per_dfu_month`` is the mean number of sales lines of an average DFU in a month it sells;
    big sellers get more lines and slow movers fewer (never more lines than units sold).
    """

    name: str
    n_items: int
    n_stores: int
    n_dcs: int
    n_customers: int
    n_dfus: int
    n_months: int
    lines_per_dfu_month: float
    parquet_months: int = 12
    first_forecast_month: int = 12
    """0-based month index of the first legacy forecast origin (the legacy system needs a year of history)."""

    @property
    def n_locations(self) -> int:
        return self.n_stores + self.n_dcs

    @property
    def approx_sales_lines(self) -> int:
        """Rough line count (~75% of DFU-months sell); `lakecast.generate.expected_sales_lines` is exact."""
        return int(self.n_dfus * self.n_months * self.lines_per_dfu_month * 0.75)


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec(
        name="tiny",
        n_items=24,
        n_stores=4,
        n_dcs=2,
        n_customers=12,
        n_dfus=50,
        n_months=36,
        lines_per_dfu_month=6.0,
    ),
    "small": ScaleSpec(
        name="small",
        n_items=400,
        n_stores=34,
        n_dcs=6,
        n_customers=150,
        n_dfus=2000,
        n_months=60,
        lines_per_dfu_month=9.0,
    ),
    # 10x small with the same months and lines per DFU-month, so per-DFU costs compare across the two
    "medium": ScaleSpec(
        name="medium",
        n_items=4000,
        n_stores=340,
        n_dcs=60,
        n_customers=1500,
        n_dfus=20_000,
        n_months=60,
        lines_per_dfu_month=9.0,
    ),
    "large": ScaleSpec(
        name="large",
        n_items=12000,
        n_stores=370,
        n_dcs=30,
        n_customers=4000,
        n_dfus=100_000,
        n_months=72,
        lines_per_dfu_month=20.0,
    ),
}
