"""ops.batch_reconciliation is append-only history (spark_jobs/reconciliation.py, pure Python): unit tests."""

from __future__ import annotations

import datetime as dt

from spark_jobs.reconciliation import Count, Event, events, latest

T0, T1, T2, T3 = (dt.datetime(2026, 12, 1, h) for h in (1, 2, 3, 4))
EXT = "bronze.external_forecast"


def _run(history, current, superseded, at):
    new = events(history, current, superseded, at)
    return history + new, new


def _shape(e: Event):
    return (e.batch_id, e.seq, e.event, e.other_batch, e.rows, e.rows_landed, e.rows_accepted, e.rows_quarantined)


def test_a_superseding_delivery_adds_a_row_and_leaves_the_old_rows_alone():
    # run 1: batch 2024 lands 10 rows, 1 bad
    hist, new = _run([], {(EXT, "2024"): Count(10, 9, 1, T0)}, {}, T1)
    assert [_shape(e) for e in new] == [("2024", 1, "received", None, 10, 10, 9, 1)]
    received = new[0]
    # run 2: batch 2025 re-sends 4 of 2024's rows; 2024 now has 5 accepted, 5 quarantined (4 superseded)
    current = {(EXT, "2024"): Count(10, 5, 5, T0), (EXT, "2025"): Count(6, 6, 0, T2)}
    hist, new = _run(hist, current, {(EXT, "2024"): {"2025": 4}}, T2)
    assert [_shape(e) for e in new] == [("2024", 2, "superseded_by", "2025", 4, 10, 5, 5),
                                        ("2025", 1, "received", None, 6, 6, 6, 0)]
    assert received in hist  # the old row, unchanged
    # run 3: nothing moved -> nothing appended (a re-run is idempotent)
    assert events(hist, current, {(EXT, "2024"): {"2025": 4}}, T3) == []
    assert latest(hist)[(EXT, "2024")].rows_accepted == 5


def test_both_batches_in_one_run_record_the_receipt_before_the_supersession():
    current = {(EXT, "a"): Count(3, 1, 2, T0), (EXT, "b"): Count(2, 2, 0, T0)}
    new = events([], current, {(EXT, "a"): {"b": 2, "a": 7}}, T1)  # "a" by "a" is a duplicate within the batch
    assert [_shape(e) for e in new] == [("a", 1, "received", None, 3, 3, 3, 0),
                                        ("a", 2, "superseded_by", "b", 2, 3, 1, 2),
                                        ("b", 1, "received", None, 2, 2, 2, 0)]


def test_withdrawal_of_the_superseding_batch_gives_the_rows_back_and_redelivery_starts_over():
    hist, _ = _run([], {(EXT, "a"): Count(3, 1, 2, T0), (EXT, "b"): Count(2, 2, 0, T0)}, {(EXT, "a"): {"b": 2}}, T1)
    # b withdrawn: it left bronze, a's rows win again
    hist, new = _run(hist, {(EXT, "a"): Count(3, 3, 0, T0)}, {}, T2)
    assert [_shape(e) for e in new] == [("a", 3, "superseded_by", "b", 0, 3, 3, 0),
                                        ("b", 2, "withdrawn", None, 2, 0, 0, 0)]
    # b replayed with a corrected file (landed at T3): redelivered, a superseded again
    hist, new = _run(hist, {(EXT, "a"): Count(3, 2, 1, T0), (EXT, "b"): Count(1, 1, 0, T3)}, {(EXT, "a"): {"b": 1}},
                     T3)
    assert [_shape(e) for e in new] == [("a", 4, "superseded_by", "b", 1, 3, 2, 1),
                                        ("b", 3, "redelivered", None, 1, 1, 1, 0)]
    assert all(e.rows_landed == e.rows_accepted + e.rows_quarantined for e in hist)


def test_a_move_for_another_reason_is_revalidated():
    key = ("bronze.sales_lines", "2026-01")
    hist, _ = _run([], {key: Count(5, 3, 2, T0)}, {}, T1)
    _, new = _run(hist, {key: Count(5, 4, 1, T0)}, {}, T2)  # e.g. the missing item arrived in the master
    assert [_shape(e) for e in new] == [("2026-01", 2, "revalidated", None, 1, 5, 4, 1)]
