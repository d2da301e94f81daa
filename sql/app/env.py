"""Alembic environment for the Lakecast app database (online migrations only).

Two entry points:
* programmatic (lakecast.appdb.migrate.upgrade): a SQLAlchemy connection, already inside a transaction that
  holds the migration advisory lock, is passed in ``config.attributes["connection"]``;
* the alembic CLI (sql/app/alembic.ini): the URL comes from ``-x url=...`` or, failing that, from the app
  settings (lakecast.appdb.server.database_url).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    from lakecast.appdb.migrate import make_engine, take_migration_lock
    from lakecast.appdb.server import database_url

    url = context.get_x_argument(as_dictionary=True).get("url") or database_url()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            take_migration_lock(conn)
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: the migrations are plain .sql files already")
run_migrations_online()
