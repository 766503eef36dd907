-- Transactional outbox: events written in the same transaction as the state
-- change they describe, published to Kafka by the relay (motcua_platform.outbox).
-- Rows are kept after publication (published_at set): they are the durable
-- record the relay replays when the broker lost its data.

CREATE TABLE outbox (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       text        NOT NULL,              -- CloudEvents id, what consumers dedupe on
    topic          text        NOT NULL,
    partition_key  text        NOT NULL,              -- Kafka key: one aggregate's events stay in order
    type           text        NOT NULL,              -- CloudEvents type, e.g. motcua.dossier.v1.received
    source         text        NOT NULL,              -- CloudEvents source, e.g. /motcua/dossier
    subject        text,
    event_time     timestamptz NOT NULL,              -- CloudEvents time
    data           bytea       NOT NULL,              -- proto3 JSON, UTF-8
    headers        jsonb       NOT NULL DEFAULT '{}', -- trace context captured at enqueue
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at   timestamptz,
    attempts       integer     NOT NULL DEFAULT 0,
    last_error     text,
    CONSTRAINT outbox_event_id_unique UNIQUE (event_id),
    CONSTRAINT outbox_topic_not_empty CHECK (topic <> ''),
    CONSTRAINT outbox_partition_key_not_empty CHECK (partition_key <> '')
);

-- The relay's work queue: only unpublished rows, in id order.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
-- replay(since=...) and operators' range queries.
CREATE INDEX outbox_created_at_idx ON outbox (created_at);

-- Wake the relay when the inserting transaction commits (NOTIFY is transactional,
-- and repeated notifications of one transaction are folded into one).
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(left('motcua_outbox_' || TG_TABLE_SCHEMA, 63), '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
    AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Per partition, an offset the broker acknowledged to this schema's relay: the
-- lowest one of its latest publish round (the embedded broker reports a partition's
-- end offset as the base offset of its last batch + 1, so later offsets of a round
-- may lie at or beyond the reported end). A reported end offset at or below it, a
-- vanished topic, or a new acknowledgement at or below it means the broker forgot
-- its data (the embedded memory-only broker restarted): the relay republishes everything.
CREATE TABLE outbox_broker_watermark (
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    acked_offset   bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
