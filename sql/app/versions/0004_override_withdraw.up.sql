-- 0004 withdrawing an approved override: status 'withdrawn' (final), who and when. A withdrawn override leaves
-- the final forecast at once (the API folds only approved overrides at read time, lakecast/final.py); the
-- withdrawal note goes to the audit row (override.withdraw).

ALTER TABLE overrides ADD COLUMN withdrawn_by text REFERENCES users (username);
ALTER TABLE overrides ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE overrides DROP CONSTRAINT overrides_status_check;
ALTER TABLE overrides ADD CONSTRAINT overrides_status_check
    CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn'));
ALTER TABLE overrides DROP CONSTRAINT overrides_decided_fields;
ALTER TABLE overrides ADD CONSTRAINT overrides_decided_fields CHECK (
    (status IN ('approved', 'rejected', 'withdrawn')) = (decided_by IS NOT NULL)
    AND (decided_by IS NULL) = (decided_at IS NULL));
ALTER TABLE overrides ADD CONSTRAINT overrides_withdrawn_fields CHECK (
    (status = 'withdrawn') = (withdrawn_by IS NOT NULL) AND (withdrawn_by IS NULL) = (withdrawn_at IS NULL));

-- Same guard rails as 0001, plus: approved -> withdrawn is legal (only status, withdrawn_by/at and the version
-- change); withdrawn is final like rejected.
CREATE OR REPLACE FUNCTION overrides_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
        OR (OLD.status = 'submitted' AND NEW.status IN ('approved', 'rejected'))
        OR (OLD.status = 'approved' AND NEW.status = 'withdrawn')) THEN
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
    IF OLD.status = 'approved' AND NOT (
           NEW.status = 'withdrawn'
           AND (NEW.submitted_by, NEW.submitted_at, NEW.decided_by, NEW.decided_at)
               IS NOT DISTINCT FROM (OLD.submitted_by, OLD.submitted_at, OLD.decided_by, OLD.decided_at)) THEN
        RAISE EXCEPTION 'override % is approved: it can only be withdrawn', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status IN ('rejected', 'withdrawn') THEN
        RAISE EXCEPTION 'override % is % (final)', OLD.id, OLD.status USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;
