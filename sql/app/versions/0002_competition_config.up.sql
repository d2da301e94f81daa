-- 0002 competition config: the model competition settings (lakecast.settings.CompetitionSettings) as edited
-- through PUT /competition/config. One row per saved version, never updated: the row with the highest id is
-- the active config; the forecast job reads it (lakecast.forecast.competition_store.active_competition_settings)
-- and falls back to conf/ when the table is empty. Each save also writes an audit_log row.

CREATE TABLE competition_configs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    config      jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
    created_by  text NOT NULL REFERENCES users (username),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE competition_configs IS
    'Competition settings saved through the API; newest id = active. Rows are never updated or deleted.';

DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakecast_app') THEN
        EXECUTE 'GRANT SELECT, INSERT ON competition_configs TO lakecast_app';
    END IF;
END
$do$;
