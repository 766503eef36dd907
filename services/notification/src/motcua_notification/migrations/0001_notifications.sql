-- Notification service: templates, notifications and their deliveries, preferences,
-- Zalo OA state, provider tokens, agency webhook subscriptions and their deliveries.

-- Templates: every version is kept; the highest version of (code, channel) is current.
CREATE TABLE templates (
    code            text        NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('zalo_cs', 'zns', 'sms', 'email')),
    version         integer     NOT NULL CHECK (version > 0),
    subject         text        NOT NULL DEFAULT '',
    body            text        NOT NULL DEFAULT '',
    body_html       text        NOT NULL DEFAULT '',
    zns_template_id text        NOT NULL DEFAULT '',
    zns_params      jsonb       NOT NULL DEFAULT '{}',
    parameters      text[]      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text        NOT NULL,
    PRIMARY KEY (code, channel, version)
);

-- One row per message to one citizen: from an event (source_key 'event:<source>|<id>|<contact_ref>')
-- or a direct send (source_key 'direct:<idempotency key>'). The recipient's contact details are
-- resolved at planning time (contact_ref -> DossierService/SchedulerService.ResolveContact).
CREATE TABLE notifications (
    id               uuid        PRIMARY KEY,
    source_key       text        NOT NULL UNIQUE,
    source_event_id  text        NOT NULL DEFAULT '',
    event_type       text        NOT NULL DEFAULT '',
    template_code    text        NOT NULL,
    params           jsonb       NOT NULL,
    contact_source   text        NOT NULL CHECK (contact_source IN ('dossier', 'scheduler', 'direct')),
    contact_ref      text        NOT NULL DEFAULT '',
    phone            text,
    email            text,
    zalo_user_id     text,
    full_name        text,
    dossier_code     text        NOT NULL DEFAULT '',
    booking_id       text        NOT NULL DEFAULT '',
    procedure_code   text        NOT NULL DEFAULT '',
    urgent           boolean     NOT NULL DEFAULT false,
    essential        boolean     NOT NULL DEFAULT true,
    legal_basis      text        NOT NULL DEFAULT '',
    channel_order    text[]      NOT NULL DEFAULT '{}',
    chain            text[]      NOT NULL DEFAULT '{}',      -- primary routes in fallback order
    state            text        NOT NULL DEFAULT 'planning' CHECK (state IN ('planning', 'planned', 'done')),
    status           text        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'suppressed')),
    reason           text        NOT NULL DEFAULT '',
    plan_after       timestamptz NOT NULL DEFAULT now(),      -- planning lease / retry time
    plan_attempts    integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX notifications_to_plan_idx ON notifications (plan_after) WHERE state = 'planning';
CREATE INDEX notifications_phone_idx ON notifications (phone, created_at DESC) WHERE phone IS NOT NULL;
CREATE INDEX notifications_dossier_idx ON notifications (dossier_code, created_at DESC) WHERE dossier_code <> '';

-- One row per (event, recipient, channel): the unique key is the exactly-once guard. A row is
-- committed in `sending` BEFORE the provider is called; a row found in `sending` after a crash
-- is reconciled (see worker.py), never blindly re-sent.
CREATE TABLE deliveries (
    id                  uuid        PRIMARY KEY,
    notification_id     uuid        NOT NULL REFERENCES notifications (id),
    event_key           text        NOT NULL,
    recipient           text        NOT NULL,
    channel             text        NOT NULL CHECK (channel IN ('zalo_cs', 'zns', 'sms', 'email')),
    step                integer     NOT NULL DEFAULT 0,
    status              text        NOT NULL DEFAULT 'created'
                        CHECK (status IN ('created', 'sending', 'sent', 'delivered', 'permanent-failure',
                                          'temporary-failure', 'technical-failure')),
    provider            text        NOT NULL DEFAULT '',
    -- Set when an attempt's outcome is unknown at a provider that deduplicates on tracking_id:
    -- the next attempts must go to that same provider (no SMS failover), so it can deduplicate.
    pinned_provider     text,
    provider_message_id text,
    tracking_id         text        NOT NULL,
    subject             text        NOT NULL DEFAULT '',
    body                text        NOT NULL DEFAULT '',
    body_html           text        NOT NULL DEFAULT '',
    zns_template_id     text        NOT NULL DEFAULT '',
    zns_data            jsonb       NOT NULL DEFAULT '{}',
    attempts            integer     NOT NULL DEFAULT 0,
    not_before          timestamptz NOT NULL DEFAULT now(),
    first_attempt_at    timestamptz,
    sending_since       timestamptz,
    sent_at             timestamptz,
    delivered_at        timestamptz,
    failed_at           timestamptz,
    last_error_code     text        NOT NULL DEFAULT '',
    last_error          text        NOT NULL DEFAULT '',
    cost_vnd            integer     NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT deliveries_once UNIQUE (event_key, recipient, channel)
);
CREATE INDEX deliveries_due_idx ON deliveries (not_before) WHERE status = 'created';
CREATE INDEX deliveries_sending_idx ON deliveries (sending_since) WHERE status = 'sending';
CREATE INDEX deliveries_notification_idx ON deliveries (notification_id);
CREATE INDEX deliveries_tracking_idx ON deliveries (tracking_id);
CREATE INDEX deliveries_provider_message_idx ON deliveries (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX deliveries_zalo_cs_idx ON deliveries (recipient, created_at) WHERE channel = 'zalo_cs';

CREATE TABLE delivery_attempts (
    delivery_id         uuid        NOT NULL REFERENCES deliveries (id),
    attempt             integer     NOT NULL,
    channel             text        NOT NULL,
    provider            text        NOT NULL,
    status              text        NOT NULL,
    provider_message_id text        NOT NULL DEFAULT '',
    error_code          text        NOT NULL DEFAULT '',
    retryable           boolean     NOT NULL DEFAULT false,
    at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (delivery_id, attempt)
);

-- Wake the delivery worker when work is committed.
CREATE FUNCTION notification_work_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(left('motcua_notification_work_' || TG_TABLE_SCHEMA, 63), TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
CREATE TRIGGER notifications_work AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notification_work_notify();
CREATE TRIGGER deliveries_work AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notification_work_notify();

-- A citizen's preferences and consent, keyed by phone number (E.164).
CREATE TABLE preferences (
    phone                text        PRIMARY KEY,
    channels             text[]      NOT NULL DEFAULT '{}',
    opted_out            text[]      NOT NULL DEFAULT '{}',
    opt_out_all          boolean     NOT NULL DEFAULT false,
    quiet_start          time,
    quiet_end            time,
    consent_purpose      text        NOT NULL DEFAULT '',
    consent_given_at     timestamptz,
    consent_text_version text        NOT NULL DEFAULT '',
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- What the OA webhook told us: follows or not, and the last message (opens the reply window).
CREATE TABLE zalo_followers (
    zalo_user_id         text        PRIMARY KEY,
    followed             boolean     NOT NULL,
    last_interaction_at  timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- OAuth tokens of providers (Zalo refresh tokens are single use: the current pair must survive restarts).
CREATE TABLE provider_tokens (
    provider       text        PRIMARY KEY,
    access_token   text        NOT NULL,
    refresh_token  text        NOT NULL,
    expires_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    id                   uuid        PRIMARY KEY,
    agency_id            text        NOT NULL,
    url                  text        NOT NULL,
    event_types          text[]      NOT NULL DEFAULT '{}',
    procedure_codes      text[]      NOT NULL DEFAULT '{}',
    secret_ciphertext    bytea       NOT NULL,               -- AES-256-GCM, nonce prepended
    active               boolean     NOT NULL DEFAULT true,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    failing_since        timestamptz,
    disabled_at          timestamptz,
    disabled_reason      text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX subscriptions_agency_idx ON subscriptions (agency_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               uuid        PRIMARY KEY,
    subscription_id  uuid        NOT NULL REFERENCES subscriptions (id),
    event_id         text        NOT NULL,
    event_type       text        NOT NULL,
    body             bytea       NOT NULL,                   -- the CloudEvent, structured JSON, sent as is
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_http_status integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT webhook_deliveries_once UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, created_at DESC);
CREATE TRIGGER webhook_deliveries_work AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notification_work_notify();
