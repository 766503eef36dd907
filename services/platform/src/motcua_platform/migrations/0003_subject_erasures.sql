-- Data-subject rights (Nghị định 13/2023/NĐ-CP): one row per erasure request a service
-- carried out (motcua_platform.subject_data). The request id is claimed by the insert in
-- the erasure's own transaction, so a repeat or a concurrent duplicate replays `counts`
-- and never erases twice. No identifier of the person is stored here: the gateway's
-- audit trail holds a salted hash of it.
CREATE TABLE subject_erasures (
    request_id   text        PRIMARY KEY,
    actor        text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    counts       jsonb       NOT NULL DEFAULT '{}',
    erased_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
