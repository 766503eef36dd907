-- Data-subject rights (Nghị định 13/2023/NĐ-CP): the audit trail of every export and erasure,
-- and the progress of erasures across the services (motcua_gateway.data_subject).

-- A per-installation secret for the salted hashes of the identifiers (generated here, never
-- shown; losing it only means old audit rows can no longer be matched to a phone number).
CREATE TABLE data_subject_secret (
    name        text        PRIMARY KEY,
    value       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_subject_secret (name, value)
VALUES ('subject_salt', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                                 || clock_timestamp()::text, 'UTF8')), 'hex'));

-- Append-only: one row per operator request (export, or one attempt of an erasure). The
-- person is recorded as HMAC-SHA256(subject_salt, '<kind>:<normalised identifier>') per
-- identifier, never the identifier itself.
CREATE TABLE data_subject_audit (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text        NOT NULL CHECK (kind IN ('export', 'erase')),
    actor               text        NOT NULL,              -- operator account (token `sub`)
    actor_name          text        NOT NULL DEFAULT '',
    at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject_hashes      text[]      NOT NULL,
    reason              text        NOT NULL,
    idempotency_key     text,                              -- erasures only
    outcome             text        NOT NULL CHECK (outcome IN ('complete', 'partial', 'replayed')),
    services_answered   text[]      NOT NULL DEFAULT '{}',
    services_pending    text[]      NOT NULL DEFAULT '{}',
    counts              jsonb       NOT NULL DEFAULT '{}'  -- per service: records per kind
);
CREATE INDEX data_subject_audit_at_idx ON data_subject_audit (at);
CREATE INDEX data_subject_audit_subject_idx ON data_subject_audit USING gin (subject_hashes);

CREATE FUNCTION data_subject_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'data_subject_audit is append-only';
END;
$$;
CREATE TRIGGER data_subject_audit_no_change BEFORE UPDATE OR DELETE ON data_subject_audit
    FOR EACH ROW EXECUTE FUNCTION data_subject_audit_append_only();
CREATE TRIGGER data_subject_audit_no_truncate BEFORE TRUNCATE ON data_subject_audit
    FOR EACH STATEMENT EXECUTE FUNCTION data_subject_audit_append_only();

-- One row per erasure (Idempotency-Key): which services are done and their counts. `linked`
-- holds the identifiers found on the person's records (e-mail, Zalo id, other phones) while
-- services are still pending, so that a retry can reach them after the registry forgot them;
-- it is cleared when the erasure completes.
CREATE TABLE data_subject_erasures (
    idempotency_key  text        PRIMARY KEY,
    request_hash     text        NOT NULL,   -- HMAC of subject and reason: same key, other request -> refused
    actor            text        NOT NULL,
    done             jsonb       NOT NULL DEFAULT '{}',   -- service -> counts
    linked           jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);
