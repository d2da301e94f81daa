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


def active_competition_settings(settings: Settings) -> CompetitionSettings:
    """The competition config saved through the API, else ``settings.forecast.competition``.

    Never starts the embedded Postgres and never fails: when the app database is down, not migrated to 0002,
    or holds no saved config, the configured (conf/) settings apply, so a forecast run does not depend on the
    app database being up.
    """
    from lakecast.appdb.db import connect
    from lakecast.appdb.server import database_url

    try:
        url = database_url(settings, start_if_needed=False)
        with connect(url) as conn:
            row = conn.execute(LATEST_SQL).fetchone()
    except Exception as exc:  # noqa: BLE001 - any problem with the app DB means "use conf/"
        log.info("competition config from conf/ (app database not usable: %s)", (str(exc).splitlines() or [""])[0])
        return settings.forecast.competition
    if row is None:
        return settings.forecast.competition
    log.info("competition config version %s (saved by %s) from the app database", row["id"], row["created_by"])
    return CompetitionSettings.model_validate(row["config"])
