"""The committed table catalog (sql/*.sql, docs/data-model.md) equals what the contracts render.

A renamed table, column or partition spec makes this fail until `lakecast docs` is run and the diff committed.
"""

from __future__ import annotations

from contracts.registry import TABLES
from lakecast_cli.catalog_docs import rendered
from spark_jobs.registry import JOBS


def test_committed_catalog_matches_contracts():
    stale = [str(p) for p, text in rendered().items() if not p.exists() or p.read_text() != text]
    assert not stale, f"run `uv run lakecast docs` and commit: {stale}"


def test_every_job_output_is_a_known_table_and_every_table_has_one_producer():
    produced = [t for job in JOBS.values() for t in job.produces]
    assert sorted(set(produced)) == sorted(produced), "a table has two producing jobs"
    assert set(produced) <= set(TABLES)
    for fqn, spec in TABLES.items():
        if fqn.startswith(("bronze.", "silver.", "gold.")):
            assert fqn in produced, f"{fqn} has no producing job"
        assert spec.grain, f"{fqn} lacks a grain note"
        for name, _, _, doc in spec.columns():
            assert doc, f"{fqn}.{name} lacks a column description"


def test_every_job_input_is_a_table_some_other_job_writes():
    written = {t: job.name for job in JOBS.values() for t in (*job.produces, *job.updates)}
    for job in JOBS.values():
        for fqn in job.reads:
            assert fqn in TABLES, f"{job.name} reads unknown table {fqn}"
            assert fqn in written, f"{job.name} reads {fqn}, which no job writes"


def test_downstream_follows_the_data_flow():
    from spark_jobs.registry import downstream

    # bronze -> silver -> gold -> forecast -> final (final reads the baseline forecast); maintain reads nothing
    assert downstream(JOBS["bronze"].produces) == ["silver", "gold", "forecast", "final"]
    assert downstream(JOBS["silver"].produces) == ["gold", "forecast", "final"]
    assert downstream(["gold.fact_promo_plan"]) == ["forecast", "final"]
    assert downstream(["gold.fact_forecast"]) == ["final"]
    assert downstream(["gold.agg_loc_week"]) == []  # served only: nothing downstream


def test_a_batch_withdrawal_reruns_or_names_every_downstream_job():
    from lakecast_cli.batch import jobs_after

    assert jobs_after(["silver"], rerun=True) == (["silver", "gold", "forecast", "final"], [])
    assert jobs_after(["silver"], rerun=False) == (["silver"], ["gold", "forecast", "final"])
    assert jobs_after(["bronze", "silver"], rerun=False) == (["bronze", "silver"], ["gold", "forecast", "final"])
