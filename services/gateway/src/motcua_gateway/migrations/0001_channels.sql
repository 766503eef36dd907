-- Channel webhooks (Zalo OA, two-way SMS): a durable inbox of verified inbound events,
-- the citizens' channel identities (personal data: stays in the gateway schema) and
-- the per-sender conversation state.

-- One row per verified inbound event, written before the webhook answers 200. The worker
-- leases rows (locked_until) with FOR UPDATE SKIP LOCKED, one sender at a time in arrival
-- order, and marks them done; failures come back with backoff; poison rows are parked.
CREATE TABLE channel_inbox (
    id              bigserial   PRIMARY KEY,
    channel         text        NOT NULL CHECK (channel IN ('zalo', 'sms')),
    -- Zalo message.msg_id (or a key derived from the event), eSMS smsid: a redelivery is a no-op.
    dedupe_key      text        NOT NULL,
    event_name      text        NOT NULL,
    -- Zalo user id, or the SMS sender's phone (E.164).
    sender          text        NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'parked')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    UNIQUE (channel, dedupe_key)
);

CREATE INDEX channel_inbox_pending_idx ON channel_inbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX channel_inbox_sender_idx ON channel_inbox (channel, sender, id) WHERE status = 'pending';
CREATE INDEX channel_inbox_received_idx ON channel_inbox (received_at);

-- What a citizen shared with the Official Account (user_submit_info), with their consent.
CREATE TABLE channel_identities (
    channel              text        NOT NULL,
    sender               text        NOT NULL,
    full_name            text        NOT NULL DEFAULT '',
    phone                text        NOT NULL DEFAULT '',   -- E.164
    street               text        NOT NULL DEFAULT '',
    ward_name            text        NOT NULL DEFAULT '',
    district_name        text        NOT NULL DEFAULT '',
    province_name        text        NOT NULL DEFAULT '',
    consent_given_at     timestamptz,
    consent_text_version text        NOT NULL DEFAULT '',
    -- The last dossier this citizen looked up as its applicant (photos for a supplement go to it).
    last_dossier_code    text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, sender)
);

-- Where a sender is in a conversation (registration for home support, SMS confirmations).
CREATE TABLE channel_conversations (
    channel    text        NOT NULL,
    sender     text        NOT NULL,
    state      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, sender)
);

-- Photos of documents a linked citizen sent for a dossier waiting for a supplement.
CREATE TABLE channel_attachments (
    id           bigserial   PRIMARY KEY,
    channel      text        NOT NULL,
    sender       text        NOT NULL,
    dossier_code text        NOT NULL,
    url          text        NOT NULL,
    message_id   text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, message_id, url)
);

CREATE INDEX channel_attachments_dossier_idx ON channel_attachments (dossier_code, received_at);
