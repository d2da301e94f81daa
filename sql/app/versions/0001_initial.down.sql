-- Reverts 0001_initial.up.sql. Destroys all app data including the audit trail: for dev/test only.
DROP TABLE IF EXISTS pipeline_runs;
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
DROP TABLE IF EXISTS approvals;
DROP TABLE IF EXISTS override_comments;
DROP TABLE IF EXISTS overrides;
DROP FUNCTION IF EXISTS overrides_guard();
DROP TABLE IF EXISTS users;
DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakecast_app') THEN
        EXECUTE 'REVOKE ALL ON SCHEMA public FROM lakecast_app';
        BEGIN
            DROP ROLE lakecast_app;
        EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
            RAISE NOTICE 'role lakecast_app kept: still referenced elsewhere in the cluster';
        END;
    END IF;
END
$do$;
-- Extensions vector and pg_trgm are left installed (other objects may use them).
