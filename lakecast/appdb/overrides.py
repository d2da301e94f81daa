"""Read access to overrides for the final forecast (the governance workflow lives in api/services/overrides.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakecast.appdb.db import Conn, connect
from lakecast.final import FOLDED_STATUS, covered_months

#: Column list used by every override read; numerics come back as float.
OVERRIDE_COLUMNS = """
    id, dfu_id, item_id, location_id, start_month, end_month,
    new_qty::float8 AS new_qty, pct_change::float8 AS pct_change, reason_code, reason_text, status,
    created_by, submitted_by, decided_by, created_at, updated_at, submitted_at, decided_at,
    withdrawn_by, withdrawn_at, version
"""

_KEEP = ("id", "dfu_id", "item_id", "location_id", "start_month", "end_month", "new_qty", "pct_change",
         "reason_code", "reason_text", "status", "created_by", "decided_by", "decided_at", "version")


def read_approved(conn: Conn, dfu_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Approved overrides (of ``dfu_ids`` when given), in decision order (``decided_at``, then ``id``).

    The one query of what the final forecast folds (``lakecast.final.FOLDED_STATUS``): the final job and the
    API's read-time overlay both call it. Keys: id, dfu_id, item_id, location_id, start_month, end_month (first
    of month), new_qty (float | None: replaces the forecast of each month), pct_change (float | None: percent
    applied to the statistical forecast, +15 -> x1.15), reason_code, reason_text, status, created_by,
    decided_by, decided_at, version. Exactly one of new_qty / pct_change is set.
    """
    where = "status = %s"
    params: list[Any] = [FOLDED_STATUS]
    if dfu_ids is not None:
        where += " AND dfu_id = ANY(%s)"
        params.append(list(dfu_ids))
    rows = conn.execute(
        f"SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE {where} ORDER BY decided_at, id", params
    ).fetchall()
    return [{k: r[k] for k in _KEEP} for r in rows]


def approved_overrides(url: str, *, expand_months: bool = False) -> list[dict[str, Any]]:
    """:func:`read_approved` over a new connection to ``url``.

    With ``expand_months=True`` there is one dict per covered month instead, with an extra ``target_month``
    key (same order; which one wins a DFU-month is ``lakecast.final.winning_overrides``).
    """
    with connect(url) as conn:
        out = read_approved(conn)
    if not expand_months:
        return out
    return [{**r, "target_month": m} for r in out for m in covered_months(r["start_month"], r["end_month"])]
