"""The Postgres app database: users, overrides and approvals, the append-only audit log, pipeline runs.

Entry points (all take a psycopg URL, ``postgresql://...``):

* ``server.start(settings) -> url`` / ``server.stop(settings)`` / ``server.status(settings)`` /
  ``server.database_url(settings)``: embedded Postgres lifecycle (or the external URL);
* ``migrate.upgrade(url)``: alembic migrations (``sql/app``), idempotent;
* ``seed.seed_demo_users(url)``: demo users (demo only);
* ``runs.record_run(url, ...)``: pipeline run registry;
* ``overrides.approved_overrides(url)``: approved overrides for the forecast-finalising job.
"""
