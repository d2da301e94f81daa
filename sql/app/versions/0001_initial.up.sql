-- 0001 initial app schema: users, overrides (+ comments, approvals), append-only audit_log, pipeline_runs.
-- Executed by 0001_initial.py inside alembic's migration transaction (Postgres DDL is transactional).
-- Sent to psycopg verbatim without parameters (no placeholder parsing), as one multi-statement script.

CREATE EXTENSION IF NOT EXISTS vector;   -- pgvector, for the NL-chat embeddings (later migration)
CREATE EXTENSION IF NOT EXISTS pg_trgm;  -- fuzzy search over reasons / comments

-- ---------------------------------------------------------------- users
CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username ~ '^[a-z][a-z0-9_.-]{1,63}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('viewer', 'planner', 'approver', 'admin')),
    -- 'scrypt$<n>$<r>$<p>$<salt hex>$<key hex>' (hashlib.scrypt, per-user random salt)
    password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$_%'),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'App users and their single role (viewer < planner, approver < admin).';

-- ---------------------------------------------------------------- overrides
CREATE TABLE overrides (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dfu_id        text NOT NULL,
    item_id       text NOT NULL CHECK (length(item_id) BETWEEN 1 AND 100),
    location_id   text NOT NULL CHECK (length(location_id) BETWEEN 1 AND 100),
    start_month   date NOT NULL CHECK (extract(day FROM start_month) = 1),
    end_month     date NOT NULL CHECK (extract(day FROM end_month) = 1),
    new_qty       numeric(18, 3) CHECK (new_qty >= 0),
    pct_change    numeric(7, 2) CHECK (pct_change BETWEEN -100 AND 1000),
    reason_code   text NOT NULL CHECK (reason_code IN ('promo', 'event', 'market_intel', 'supply', 'correction', 'other')),
    reason_text   text NOT NULL DEFAULT '' CHECK (length(reason_text) <= 2000),
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    created_by    text NOT NULL REFERENCES users (username),
    submitted_by  text REFERENCES users (username),
    decided_by    text REFERENCES users (username),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz,
    decided_at    timestamptz,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT overrides_dfu_id_check CHECK (dfu_id = item_id || '|' || location_id),
    CONSTRAINT overrides_month_range CHECK (end_month >= start_month),
    CONSTRAINT overrides_exactly_one_adjustment CHECK ((new_qty IS NULL) <> (pct_change IS NULL)),
    CONSTRAINT overrides_submitted_fields CHECK (
        (status = 'draft') = (submitted_by IS NULL) AND (submitted_by IS NULL) = (submitted_at IS NULL)),
    CONSTRAINT overrides_decided_fields CHECK (
        (status IN ('approved', 'rejected')) = (decided_by IS NOT NULL) AND (decided_by IS NULL) = (decided_at IS NULL)),
    -- four-eyes rule, enforced by the database too: nobody decides an override they created or submitted
    CONSTRAINT overrides_four_eyes CHECK (
        decided_by IS NULL OR (decided_by <> created_by AND decided_by <> submitted_by))
);
CREATE INDEX overrides_status_idx ON overrides (status, id);
CREATE INDEX overrides_dfu_idx ON overrides (dfu_id, start_month);
COMMENT ON TABLE overrides IS
    'Planner adjustments to the forecast of one DFU over months start_month..end_month (inclusive): '
    'either an absolute new_qty per month or a pct_change (percent) applied to the statistical forecast.';

-- Guard rails that hold even for direct SQL: legal status transitions only, content frozen after draft,
-- version bumps by exactly one on every update, updated_at maintained, only drafts may be deleted.
CREATE FUNCTION overrides_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'override % is %: only drafts can be deleted', OLD.id, OLD.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.id <> OLD.id OR NEW.created_by <> OLD.created_by OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'override id, created_by and created_at are immutable' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.version <> OLD.version + 1 THEN
        RAISE EXCEPTION 'override % update must set version = % (got %)', OLD.id, OLD.version + 1, NEW.version
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status <> OLD.status AND NOT (
           (OLD.status = 'draft' AND NEW.status = 'submitted')
        OR (OLD.status = 'submitted' AND NEW.status IN ('approved', 'rejected'))) THEN
        RAISE EXCEPTION 'illegal override status transition % -> %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status <> 'draft' AND (
           NEW.dfu_id, NEW.item_id, NEW.location_id, NEW.start_month, NEW.end_month,
           NEW.new_qty, NEW.pct_change, NEW.reason_code, NEW.reason_text)
        IS DISTINCT FROM (
           OLD.dfu_id, OLD.item_id, OLD.location_id, OLD.start_month, OLD.end_month,
           OLD.new_qty, OLD.pct_change, OLD.reason_code, OLD.reason_text) THEN
        RAISE EXCEPTION 'override % is %: only drafts can be edited', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status IN ('approved', 'rejected') THEN
        RAISE EXCEPTION 'override % is % (final)', OLD.id, OLD.status USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;
CREATE TRIGGER overrides_guard BEFORE UPDATE OR DELETE ON overrides
    FOR EACH ROW EXECUTE FUNCTION overrides_guard();

-- ---------------------------------------------------------------- comments and decisions
CREATE TABLE override_comments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    override_id  bigint NOT NULL REFERENCES overrides (id),
    author       text NOT NULL REFERENCES users (username),
    body         text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX override_comments_override_idx ON override_comments (override_id, id);

CREATE TABLE approvals (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    override_id       bigint NOT NULL UNIQUE REFERENCES overrides (id),  -- one final decision per override
    decision          text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    decided_by        text NOT NULL REFERENCES users (username),
    override_version  integer NOT NULL,  -- version of the override the approver looked at
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    decided_at        timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- audit log (append-only)
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- bigserial semantics, ids cannot be supplied
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    entity     text NOT NULL,
    entity_id  text,
    before     jsonb,
    after      jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
COMMENT ON TABLE audit_log IS 'Append-only: UPDATE, DELETE and TRUNCATE raise (statement-level trigger).';

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;
-- Statement-level, so even an UPDATE/DELETE matching zero rows is refused.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- ---------------------------------------------------------------- pipeline run registry
CREATE TABLE pipeline_runs (
    run_id       text PRIMARY KEY,
    job          text NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX pipeline_runs_job_idx ON pipeline_runs (job, started_at DESC);

-- ---------------------------------------------------------------- least-privilege app role
-- The API connects as lakecast_app (embedded mode): it is not the owner of any table, so it cannot drop or
-- disable the audit trigger, and it holds no UPDATE/DELETE/TRUNCATE on audit_log at all.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakecast_app') THEN
        IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            CREATE ROLE lakecast_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
        ELSE
            RAISE NOTICE 'cannot create role lakecast_app (no CREATEROLE); the API will use the migration user';
        END IF;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakecast_app') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA public TO lakecast_app';
        EXECUTE 'GRANT SELECT ON users TO lakecast_app';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE ON overrides TO lakecast_app';
        EXECUTE 'GRANT SELECT, INSERT ON override_comments, approvals, audit_log TO lakecast_app';
        EXECUTE 'GRANT SELECT, INSERT, UPDATE ON pipeline_runs TO lakecast_app';
    END IF;
END
$do$;
