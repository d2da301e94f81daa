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
