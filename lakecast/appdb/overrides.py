"""Read access to overrides for batch jobs (the governance workflow lives in api/services/overrides.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakecast.appdb.db import connect
from lakecast.lag import add_months

#: Column list used by every override read; numerics come back as float.
OVERRIDE_COLUMNS = """
    id, dfu_id, item_id, location_id, start_month, end_month,
    new_qty::float8 AS new_qty, pct_change::float8 AS pct_change, reason_code, reason_text, status,
    created_by, submitted_by, decided_by, created_at, updated_at, submitted_at, decided_at, version
"""


def approved_overrides(url: str, *, expand_months: bool = False) -> list[dict[str, Any]]:
    """All approved overrides, in the order they must be applied (``decided_at``, then ``id``).

    Each dict has: id, dfu_id, item_id, location_id, start_month, end_month (dates, first of month),
    new_qty (float | None: replaces the forecast of each month), pct_change (float | None: percent applied to
    the statistical forecast, +15 -> x1.15), reason_code, reason_text, created_by, decided_by, decided_at,
    version. Exactly one of new_qty / pct_change is set.

    With ``expand_months=True`` there is one dict per covered month instead, with an extra ``target_month``
    key (same order; for a DFU-month covered by several approved overrides, the later one in this list wins).
    """
    with connect(url) as conn:
        rows = conn.execute(
            f"SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE status = 'approved' ORDER BY decided_at, id"
        ).fetchall()
    keep = (
        "id",
        "dfu_id",
        "item_id",
        "location_id",
        "start_month",
        "end_month",
        "new_qty",
        "pct_change",
        "reason_code",
        "reason_text",
        "created_by",
        "decided_by",
        "decided_at",
        "version",
    )
    out = [{k: r[k] for k in keep} for r in rows]
    if not expand_months:
        return out
    expanded = []
    for r in out:
        month: dt.date = r["start_month"]
        while month <= r["end_month"]:
            expanded.append({**r, "target_month": month})
            month = add_months(month, 1)
    return expanded
