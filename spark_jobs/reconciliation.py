"""ops.batch_reconciliation as immutable history: the events a silver run appends, from what it counts now.

Pure Python (no Spark): ``events`` compares each batch's current accounting with the latest recorded row and
returns only the rows to append. A row once written is never rewritten: a later delivery that supersedes rows of
an older batch adds a ``superseded_by`` row to the older batch; its ``received`` row keeps the numbers it had.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Key = tuple[str, str]  # (source_table, batch_id)


@dataclass(frozen=True)
class Count:
    """A batch's accounting in this silver run (rows superseded by later batches count as quarantined)."""

    landed: int
    accepted: int
    quarantined: int
    ingested_at: dt.datetime | None


@dataclass(frozen=True)
class Event:
    source_table: str
    batch_id: str
    seq: int
    event: str
    other_batch: str | None
    rows: int
    rows_landed: int
    rows_accepted: int
    rows_quarantined: int
    ingested_at: dt.datetime | None
    recorded_at: dt.datetime

    def as_row(self) -> tuple:
        return (self.source_table, self.batch_id, self.seq, self.event, self.other_batch, self.rows,
                self.rows_landed, self.rows_accepted, self.rows_quarantined, self.ingested_at, self.recorded_at)


def latest(history: Iterable[Event]) -> dict[Key, Event]:
    """The current (highest seq) row of every batch."""
    out: dict[Key, Event] = {}
    for e in history:
        key = (e.source_table, e.batch_id)
        if key not in out or e.seq > out[key].seq:
            out[key] = e
    return out


def _superseded_since_receipt(rows: list[Event]) -> dict[str, int]:
    """other_batch -> rows it supersedes, as recorded since the batch's latest receipt."""
    out: dict[str, int] = {}
    for e in sorted(rows, key=lambda r: r.seq):
        if e.event in ("received", "redelivered", "withdrawn"):
            out = {}
        elif e.event == "superseded_by" and e.other_batch is not None:
            out[e.other_batch] = e.rows
    return out


def events(history: Iterable[Event], current: Mapping[Key, Count], superseded: Mapping[Key, Mapping[str, int]],
           recorded_at: dt.datetime) -> list[Event]:
    """Rows to append so that every batch's highest-seq row equals its accounting in ``current``.

    ``superseded[(table, batch)][other]`` = rows of ``batch`` that lose to the later delivery ``other`` (they are
    among ``current``'s quarantined rows). A batch not yet recorded, or landed again since (another
    ``ingested_at``), gets a received/redelivered row counting those rows as accepted, then one superseded_by
    row per superseding batch; a recorded batch gets a superseded_by row when that count changed, a revalidated
    row when its numbers moved for another reason, and a withdrawn row when it left bronze.
    """
    by_key: dict[Key, list[Event]] = defaultdict(list)
    for e in history:
        by_key[(e.source_table, e.batch_id)].append(e)
    out: list[Event] = []
    for key in sorted(set(current) | set(by_key)):
        rows = by_key.get(key, [])
        last = max(rows, key=lambda r: r.seq) if rows else None
        seq = last.seq if last else 0
        table, batch = key

        def add(event: str, other: str | None, n: int, state: tuple[int, int, int], ingested: dt.datetime | None,
                table: str = table, batch: str = batch) -> None:
            nonlocal seq
            seq += 1
            out.append(Event(table, batch, seq, event, other, n, *state, ingested, recorded_at))

        now = current.get(key)
        if now is None:
            if last is not None and last.event != "withdrawn":
                add("withdrawn", None, last.rows_landed, (0, 0, 0), None)
            continue
        sup = {o: n for o, n in superseded.get(key, {}).items() if o != batch}
        if last is None or last.event == "withdrawn" or last.ingested_at != now.ingested_at:
            moved = sum(sup.values())
            state = (now.landed, now.accepted + moved, now.quarantined - moved)
            add("received" if last is None else "redelivered", None, now.landed, state, now.ingested_at)
            recorded: dict[str, int] = {}
        else:
            state = (last.rows_landed, last.rows_accepted, last.rows_quarantined)
            recorded = _superseded_since_receipt(rows)
        for other in sorted(set(sup) | set(recorded)):
            n, before = sup.get(other, 0), recorded.get(other, 0)
            if n != before:
                state = (state[0], state[1] - (n - before), state[2] + (n - before))
                add("superseded_by", other, n, state, now.ingested_at)
        target = (now.landed, now.accepted, now.quarantined)
        if state != target:
            add("revalidated", None, target[1] - state[1], target, now.ingested_at)
    return out
