"""Current demand-pattern clusters (``gold.cluster_profile``) and their member DFUs (paged)."""

from __future__ import annotations

from api.engine import ServingEngine
from api.schemas.analytics import ClusterList, ClusterMember, ClusterMemberPage, ClusterProfileOut, MemberSort
from api.services import Invalid, NotFound
from api.services.analytics.common import DIM_DFU
from contracts.base import literal_values

PROFILES = "gold.cluster_profile"
CURRENT = "gold.dfu_cluster_current"
CHAMPIONS = "gold.champion_selection"
#: sort name -> ORDER BY (dfu_id last, so pages are stable)
MEMBER_SORTS = {"dfu_id": "c.dfu_id ASC", "qty_12m": "d.qty_12m DESC, c.dfu_id ASC"}
literal_values(MemberSort, MEMBER_SORTS, "MEMBER_SORTS")


def clusters(engine: ServingEngine) -> ClusterList:
    engine.require(PROFILES)
    rows = engine.query(f"SELECT * FROM {PROFILES} ORDER BY cluster_id")
    return ClusterList(items=[ClusterProfileOut.model_validate(r) for r in rows])


def members(engine: ServingEngine, cluster_id: int, *, sort: str, limit: int, offset: int) -> ClusterMemberPage:
    engine.require(PROFILES, CURRENT, DIM_DFU)
    if sort not in MEMBER_SORTS:
        raise Invalid(f"sort must be one of {', '.join(MEMBER_SORTS)}, got {sort!r}")
    profile = engine.query(f"SELECT cluster_label FROM {PROFILES} WHERE cluster_id = ?", [cluster_id])
    if not profile:
        known = [r["cluster_id"] for r in engine.query(f"SELECT cluster_id FROM {PROFILES} ORDER BY cluster_id")]
        raise NotFound(f"cluster {cluster_id} not found (current clusters: {known})")
    champion = "s.champion_model_id" if engine.available(CHAMPIONS) else "CAST(NULL AS VARCHAR)"
    join_champion = f"LEFT JOIN {CHAMPIONS} s ON s.dfu_id = c.dfu_id" if engine.available(CHAMPIONS) else ""
    total = engine.query(f"SELECT count(*) AS n FROM {CURRENT} WHERE cluster_id = ?", [cluster_id])
    rows = engine.query(
        f"SELECT c.dfu_id, d.item_id, d.location_id, d.category, d.region, d.abc_class, d.xyz_class, d.qty_12m, "
        f"{champion} AS champion_model_id FROM {CURRENT} c JOIN {DIM_DFU} d ON d.dfu_id = c.dfu_id "
        f"{join_champion} WHERE c.cluster_id = ? ORDER BY {MEMBER_SORTS[sort]} OFFSET {int(offset)} LIMIT {int(limit)}",
        [cluster_id],
    )
    return ClusterMemberPage(cluster_id=cluster_id, cluster_label=profile[0]["cluster_label"], sort=sort,
                             items=[ClusterMember.model_validate(r) for r in rows],
                             total=int(total[0]["n"]) if total else 0, limit=limit, offset=offset)
