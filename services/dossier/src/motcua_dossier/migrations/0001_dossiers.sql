-- Dossiers, their daily code counters, status history and calendar overrides.

-- One row per agency and local receipt day. Incremented by a single upsert in the
-- submission transaction: a rolled-back submission rolls its number back too, so
-- codes are gap-free (a sequence object would leave gaps).
CREATE TABLE daily_counters (
    agency_code  text    NOT NULL,
    day          date    NOT NULL,
    n            integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (agency_code, day)
);

CREATE TABLE dossiers (
    id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                    text        NOT NULL UNIQUE,
    agency_code             text        NOT NULL,
    receipt_day             date        NOT NULL,
    seq                     integer     NOT NULL CHECK (seq >= 1),
    public_token            text        NOT NULL,
    version                 bigint      NOT NULL DEFAULT 1,
    procedure_code          text        NOT NULL,
    procedure_version       integer     NOT NULL,
    procedure_name          text        NOT NULL,
    agency_name             text        NOT NULL,
    status                  smallint    NOT NULL CHECK (status BETWEEN 1 AND 10),
    received_at             timestamptz NOT NULL,
    due_at                  timestamptz,
    due_basis               jsonb,
    paused_at               timestamptz,
    processing_working_days integer     NOT NULL CHECK (processing_working_days >= 0),
    collect_at              text        NOT NULL,
    channel                 smallint    NOT NULL,
    assisted_by             jsonb,
    result_delivery         smallint    NOT NULL,
    consent                 jsonb       NOT NULL,
    contact_ref             text        NOT NULL UNIQUE,
    -- Personal data: applicant (name, id number, phone, e-mail, address, zalo id), documents.
    applicant               jsonb       NOT NULL,
    documents               jsonb       NOT NULL,
    subject_birth_date      date,
    parent_code             text        REFERENCES dossiers (code),
    root_code               text        NOT NULL,
    updated_at              timestamptz NOT NULL,
    -- Submission idempotency, on root dossiers only: the unique key is claimed by the insert
    -- itself (no check-then-insert); a repeat with the same request hash replays the dossier.
    idempotency_key         text        UNIQUE,
    request_hash            bytea,
    UNIQUE (agency_code, receipt_day, seq),
    CHECK ((idempotency_key IS NULL) = (request_hash IS NULL))
);
CREATE INDEX dossiers_root ON dossiers (root_code, id);
CREATE INDEX dossiers_parent ON dossiers (parent_code) WHERE parent_code IS NOT NULL;
CREATE INDEX dossiers_open_due ON dossiers (due_at, code) WHERE status NOT IN (3, 7, 10);
CREATE INDEX dossiers_agency_status ON dossiers (agency_code, status);

-- Every status change: who, when, why. The public view shows status and time only.
CREATE TABLE status_history (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id    bigint      NOT NULL REFERENCES dossiers (id),
    from_status   smallint    NOT NULL CHECK (from_status BETWEEN 0 AND 10),
    to_status     smallint    NOT NULL CHECK (to_status BETWEEN 1 AND 10),
    actor         jsonb       NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    version       bigint      NOT NULL,
    UNIQUE (dossier_id, version)
);

-- A later government decision or an agency's own day off / working day (agency NULL = nationwide).
CREATE TABLE calendar_overrides (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day           date        NOT NULL,
    agency_code   text,
    kind          text        NOT NULL CHECK (kind IN ('off', 'work')),
    reason        text        NOT NULL CHECK (reason <> ''),
    decision_ref  text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (day, agency_code)
);
