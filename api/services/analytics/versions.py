"""Forecast versions (``gold.fact_forecast_version``): the list, and what was published "as of" a planning cycle for
a DFU or a slice. Which version stands and what "as of" means: lakecast/versions.py (its SQL is rendered here)."""

from __future__ import annotations

from typing import Any

from api.engine import ServingEngine
from api.schemas.versions import AsOfPoint, AsOfResponse, VersionInfo, VersionPage, VersionRef
from api.services import Invalid, NotFound
from api.services.analytics.common import DIM_DFU, DfuFilters, where
from lakecast.versions import VERSION_SCENARIOS, as_of_versions_sql, parse_cycle, standing_versions_sql

VERSIONS = "gold.fact_forecast_version"


def check_cycle(text: str) -> str:
    try:
        return parse_cycle(text)
    except ValueError as exc:
        raise Invalid(f"as_of_cycle: {exc}") from None


def cycles(engine: ServingEngine) -> list[str]:
    engine.require(VERSIONS)
    return engine.cached(("version_cycles",), lambda: [r["planning_cycle"] for r in engine.query(
        f"SELECT DISTINCT planning_cycle FROM {VERSIONS} ORDER BY planning_cycle")])


def as_of(engine: ServingEngine, cycle: str | None) -> list[VersionRef]:
    """Per scenario, the version published as of ``cycle`` (the latest cycle kept when None)."""
    engine.require(VERSIONS)
    kept = cycles(engine)
    if not kept:
        raise NotFound("gold.fact_forecast_version holds no version yet (run the forecast job)")
    c = kept[-1] if cycle is None else check_cycle(cycle)
    if c < kept[0]:
        raise NotFound(f"no version was published as of {c}: the first cycle kept is {kept[0]}")
    rows = engine.cached(("as_of", c), lambda: engine.query(
        f"{as_of_versions_sql(VERSIONS)} ORDER BY scenario_id", [c]))
    return [VersionRef.model_validate(r) for r in rows]


def list_versions(engine: ServingEngine, *, as_of_cycle: str | None, scenario: str | None, limit: int,
                  offset: int) -> VersionPage:
    engine.require(VERSIONS)
    if scenario is not None and scenario not in VERSION_SCENARIOS:
        raise Invalid(f"scenario must be one of {', '.join(VERSION_SCENARIOS)}, got {scenario!r}")
    refs = as_of(engine, as_of_cycle)
    clauses, params = [], []
    if as_of_cycle is not None:
        clauses.append("v.planning_cycle <= ?")
        params.append(as_of_cycle)
    if scenario is not None:
        clauses.append("v.scenario_id = ?")
        params.append(scenario)
    grouped = (
        "SELECT v.version_id, v.scenario_id, v.planning_cycle, v.fcst_origin, v.published_at, "
        "max(v.base_version_id) AS base_version_id, count(*) AS n_rows, count(DISTINCT v.dfu_id) AS n_dfus, "
        f"count(v.override_id) AS n_overridden FROM {VERSIONS} v WHERE {where(clauses)} "
        "GROUP BY v.version_id, v.scenario_id, v.planning_cycle, v.fcst_origin, v.published_at"
    )
    rows = engine.query(
        f"WITH g AS ({grouped}), s AS ({standing_versions_sql(VERSIONS)}) "
        "SELECT g.*, s.version_id IS NOT NULL AS standing, (SELECT count(*) FROM g) AS total_rows FROM g "
        "LEFT JOIN s ON s.version_id = g.version_id "
        f"ORDER BY g.published_at DESC, g.version_id DESC OFFSET {int(offset)} LIMIT {int(limit)}", params)
    if rows:
        total = int(rows[0]["total_rows"])
    else:  # a page past the end still reports how many versions there are
        total = int(engine.query(f"SELECT count(*) AS n FROM ({grouped}) g", params)[0]["n"])
    items = [VersionInfo.model_validate({k: v for k, v in r.items() if k != "total_rows"}) for r in rows]
    return VersionPage(as_of_cycle=as_of_cycle, as_of=refs, cycles=cycles(engine), items=items, total=total,
                       limit=limit, offset=offset)


def version_rows(engine: ServingEngine, refs: list[VersionRef], dfu_id: str) -> dict[str, list[dict[str, Any]]]:
    """scenario -> rows of the DFU in each version of ``refs`` (gold.fact_forecast_version columns)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for ref in refs:
        out[ref.scenario_id] = engine.query(
            f"SELECT * FROM {VERSIONS} WHERE version_id = ? AND dfu_id = ? ORDER BY target_month",
            [ref.version_id, dfu_id])
    return out


def as_of_slice(engine: ServingEngine, *, cycle: str, filters: DfuFilters, dfu_ids: list[str]) -> AsOfResponse:
    """The baseline and final forecasts of a slice as published as of ``cycle``, per target month."""
    engine.require(VERSIONS, DIM_DFU)
    refs = as_of(engine, cycle)
    by = {r.scenario_id: r.version_id for r in refs}
    clauses, params = filters.sql("d")
    if dfu_ids:
        clauses.append(f"v.dfu_id IN ({', '.join('?' for _ in dfu_ids)})")
        params.extend(dfu_ids)
    marks = ", ".join("?" for _ in by)
    rows = engine.query(
        "SELECT v.target_month, min(v.lag) AS lag, "
        "sum(CASE WHEN v.scenario_id = 'baseline' THEN v.fcst_qty END) AS baseline_qty, "
        "sum(CASE WHEN v.scenario_id = 'final' THEN v.fcst_qty END) AS final_qty, "
        f"count(DISTINCT v.dfu_id) AS n_dfus FROM {VERSIONS} v JOIN {DIM_DFU} d ON d.dfu_id = v.dfu_id "
        f"WHERE v.version_id IN ({marks}) AND {where(clauses)} GROUP BY v.target_month ORDER BY v.target_month",
        [*by.values(), *params]) if by else []
    applied = filters.applied() | ({"dfu": dfu_ids} if dfu_ids else {})
    return AsOfResponse(as_of_cycle=cycle, as_of=refs, filters=applied,
                        points=[AsOfPoint.model_validate(r) for r in rows])
