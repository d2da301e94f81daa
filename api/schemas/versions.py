"""Response models of forecast versions, the waterfall and the value of overrides (api/routes/versions.py)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from api.schemas.analytics import Metrics, TimeWindow
from contracts.base import LakecastModel


class VersionRef(LakecastModel):
    """A version that stands: the forecast a scenario had published as of a cycle."""

    scenario_id: str = Field(description="baseline | final")
    version_id: str = Field(description="Version id (the publishing job's run id)")
    planning_cycle: str = Field(description="Cycle the version was published in (YYYY-MM, month of its origin)")
    fcst_origin: dt.date = Field(description="Its forecast origin (last month of actuals)")
    published_at: dt.datetime = Field(description="UTC time it was published")


class VersionInfo(LakecastModel):
    version_id: str
    scenario_id: str = Field(description="baseline | final")
    planning_cycle: str = Field(description="YYYY-MM")
    fcst_origin: dt.date
    published_at: dt.datetime
    base_version_id: str | None = Field(description="Final versions: the baseline version folded from")
    n_rows: int = Field(description="DFU-months in the version")
    n_dfus: int
    n_overridden: int = Field(description="DFU-months an approved override changed (final versions)")
    standing: bool = Field(description="True if no later version of its scenario was published in its cycle")


class VersionPage(LakecastModel):
    as_of_cycle: str | None = Field(description="The cycle asked about (null: every cycle)")
    as_of: list[VersionRef] = Field(description="Per scenario, the version published as of the cycle (latest if "
                                                "none asked)")
    cycles: list[str] = Field(description="Every planning cycle kept, oldest first")
    items: list[VersionInfo] = Field(description="Versions up to the cycle, newest first (paged)")
    total: int
    limit: int
    offset: int


class AsOfPoint(LakecastModel):
    target_month: dt.date
    lag: int = Field(description="Lag of the forecast as of the cycle (target - origin - 1)")
    baseline_qty: float | None = Field(description="Statistical forecast of the slice published as of the cycle")
    final_qty: float | None = Field(description="Final forecast of the slice published as of the cycle")
    n_dfus: int


class AsOfResponse(LakecastModel):
    as_of_cycle: str
    as_of: list[VersionRef]
    filters: dict[str, list[str]]
    points: list[AsOfPoint] = Field(description="Per target month of the versions, summed over the slice's DFUs")


class WaterfallCell(LakecastModel):
    lag: int = Field(description="Published lag+1 months before the target month")
    planning_cycle: str = Field(description="Cycle of the published forecast (YYYY-MM)")
    baseline_qty: float | None = Field(description="Statistical forecast published, summed over the slice")
    final_qty: float | None = Field(description="Final forecast published, summed over the slice")
    n_dfus: int = Field(description="DFUs with a published forecast in the cell")
    n_overridden: int = Field(description="DFUs whose final was changed by an approved override")
    baseline_accuracy_pct: float | None = Field(description="Accuracy% of the baseline on the cell's DFUs with an "
                                                            "actual (lakecast.kpi)")
    final_accuracy_pct: float | None = Field(description="Accuracy% of the final forecast, same rule")


class WaterfallMonth(LakecastModel):
    target_month: dt.date
    actual_qty: float | None = Field(description="Actual units summed over the slice's DFUs; null while unknown")
    cells: list[WaterfallCell] = Field(description="One per lag with a published forecast, lag 4 first")


class LagAccuracy(LakecastModel):
    lag: int
    baseline: Metrics = Field(description="Baseline pooled over the window's DFU-months with an actual")
    final: Metrics = Field(description="Final pooled over the window's DFU-months with an actual")
    fva: float | None = Field(description="Final Accuracy% minus baseline Accuracy% on the rows both have")


class WaterfallResponse(LakecastModel):
    window: TimeWindow
    filters: dict[str, list[str]]
    lags: list[int] = Field(description="Lags shown, 4..0")
    months: list[WaterfallMonth]
    accuracy_by_lag: list[LagAccuracy] = Field(description="Accuracy of what was published, by lag, over the "
                                                           "window")


class OverrideValueRow(LakecastModel):
    key: str = Field(description="Override id, planner, reason code or lag (by)")
    n_overrides: int
    n_rows: int = Field(description="DFU-months x lags compared (actual known)")
    actual_qty: float
    baseline_qty: float = Field(description="Statistical forecast the overrides were folded into, units")
    final_qty: float = Field(description="Final forecast with the overrides, units")
    baseline_accuracy_pct: float | None
    final_accuracy_pct: float | None
    fva: float | None = Field(description="Final minus statistical Accuracy%, points; > 0: touching helped")
    detail: str | None = Field(None, description="by=override: DFU, months, adjustment, planner, reason")


class OverrideValuePage(LakecastModel):
    by: str
    lag: int | None = Field(description="Lag kept (null: every lag pooled)")
    items: list[OverrideValueRow]
    total: int
    limit: int
    offset: int
