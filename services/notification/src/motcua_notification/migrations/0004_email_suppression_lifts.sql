-- Suppressions lifted by an officer (the citizen fixed the mailbox or withdrew the complaint), for
-- the audit: who, when, why, and what the suppression was. The address is kept only as its
-- SHA-256 (lower case), enough to answer "was this address ever lifted, by whom"; erasure of a
-- data subject deletes the rows of their addresses.
CREATE TABLE email_suppression_lifts (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address_sha256     text        NOT NULL,
    suppression_reason text        NOT NULL,
    status_code        text        NOT NULL DEFAULT '',
    suppressed_at      timestamptz NOT NULL,
    lifted_by          text        NOT NULL,
    lift_reason        text        NOT NULL,
    lifted_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_suppression_lifts_address ON email_suppression_lifts (address_sha256);
