-- Inbox: one row per (consumer, CloudEvent) handled, written in the same
-- transaction as the handler's work. A redelivered event finds its row and is
-- skipped, which makes every consumer idempotent. CloudEvents identity is
-- (source, id).

CREATE TABLE inbox (
    consumer       text        NOT NULL,   -- consumer name = Kafka group id
    source         text        NOT NULL,
    event_id       text        NOT NULL,
    event_type     text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    kafka_offset   bigint      NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, event_id)
);

-- Pruning old rows (after the topics' retention) by age.
CREATE INDEX inbox_received_at_idx ON inbox (received_at);
