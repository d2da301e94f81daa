"""The competition config the forecast job uses: the one saved through the API, else the one in conf/.

The API stores edited configs in the app database (``PUT /competition/config``, ``api/services/analytics/
competition.py``; table ``competition_configs``, migration ``sql/app/versions/0002_*``): one row per saved
version, never updated, the newest row is the active config. This module is the job's read side, like
``lakecast.appdb.overrides`` is for approved overrides.
"""

from __future__ import annotations

import logging

from lakecast.settings import CompetitionSettings, Settings

log = logging.getLogger("lakecast.competition")

#: The newest saved config (the active one).
LATEST_SQL = "SELECT id, config, created_by FROM competition_configs ORDER BY id DESC LIMIT 1"


class CompetitionConfigUnavailable(RuntimeError):
    """The app database exists but cannot be read, so whether a saved competition config applies is unknown."""


def active_competition_settings(settings: Settings) -> CompetitionSettings:
    """The competition config saved through the API, else ``settings.forecast.competition`` (conf/).

    conf/ applies when there is no app database (embedded and never initialised, e.g. a fresh data dir), when it is
    not migrated to 0002 (no ``competition_configs``), or when it holds no saved config. An app database that exists
    but cannot be read (embedded server stopped, external server down) raises
    :class:`CompetitionConfigUnavailable`: it may hold the config the planners saved, and a forecast silently run
    with conf/ instead would choose different champions. Never starts the embedded Postgres.
    """
    import psycopg

    from lakecast.appdb.db import connect
    from lakecast.appdb.server import status

    st = status(settings)
    if st.mode == "embedded" and st.pgdata is not None and not (st.pgdata / "PG_VERSION").exists():
        log.info("competition config from conf/ (no app database at %s)", st.pgdata)
        return settings.forecast.competition
    if not st.running or st.url is None:
        raise CompetitionConfigUnavailable(
            f"the app database ({st.mode}) is not reachable ({st.detail}); it may hold a saved competition config, "
            "so the forecast does not fall back to conf/: start it (`lakecast db start`), or set "
            "LAKECAST_POSTGRES__URL to a reachable server")
    try:
        with connect(st.url) as conn:
            row = conn.execute(LATEST_SQL).fetchone()
    except psycopg.errors.UndefinedTable:
        log.info("competition config from conf/ (app database not migrated to 0002: no competition_configs)")
        return settings.forecast.competition
    except psycopg.OperationalError as exc:
        raise CompetitionConfigUnavailable(
            f"the app database stopped answering while reading the competition config: {exc}") from exc
    if row is None:
        return settings.forecast.competition
    log.info("competition config version %s (saved by %s) from the app database", row["id"], row["created_by"])
    return CompetitionSettings.model_validate(row["config"])
