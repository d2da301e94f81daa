-- Reverts 0002_competition_config.up.sql (drops the saved competition configs; conf/ applies again).
DROP TABLE IF EXISTS competition_configs;
