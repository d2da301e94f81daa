"""The forecast job's competition config: saved through the API, else conf/ -- never conf/ silently when the app
database exists but cannot be read (lakecast.forecast.competition_store)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from lakecast.appdb.db import connect
from lakecast.appdb.seed import seed_demo_users
from lakecast.appdb.testing import temp_settings, temporary_server
from lakecast.forecast.competition_store import CompetitionConfigUnavailable, active_competition_settings
from lakecast.settings import Settings

pytestmark = pytest.mark.integration


def test_no_app_database_means_conf(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert active_competition_settings(settings) == settings.forecast.competition
    assert not settings.postgres_dir.exists()  # nothing was started or created


def test_a_saved_config_applies_and_a_stopped_database_is_an_error_not_conf():
    root = Path(tempfile.mkdtemp(prefix="lakecast-pg-"))
    try:
        with temporary_server(root) as (settings, url):
            assert active_competition_settings(settings) == settings.forecast.competition  # none saved yet
            saved = settings.forecast.competition.model_copy(update={"metric": "mae", "n_holdout": 3})
            seed_demo_users(url)
            with connect(url) as conn:
                conn.execute("INSERT INTO competition_configs (config, created_by) VALUES (%s, 'admin')",
                             [Jsonb(saved.model_dump())])
            assert active_competition_settings(settings) == saved
        # the same data dir, server stopped: the saved config is unreadable, so the job must not guess
        with pytest.raises(CompetitionConfigUnavailable, match=r"not reachable \(stopped\).*lakecast db start"):
            active_competition_settings(temp_settings(root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_an_unmigrated_database_means_conf():
    with temporary_server(migrated=False) as (settings, _):
        assert active_competition_settings(settings) == settings.forecast.competition
