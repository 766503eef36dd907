-- Assisted-help scheduling: points, calendars, resources, bus routes, slots, bookings.
--
-- The invariants live here, not in Python:
--   * a slot is never overbooked: `booked` is changed only by single conditional
--     UPDATEs in the booking transactions and CHECK (booked <= capacity) backs them;
--   * a citizen never holds two overlapping active bookings (exclusion constraint);
--   * a staff member, volunteer or vehicle is never committed twice at once
--     (exclusion constraint on resource_commitment);
--   * an idempotency key maps to one request (primary key + request hash);
--   * a reminder is emitted once per (booking, kind, visit time) (primary key).

-- btree_gist gives `=` on text inside GiST exclusion constraints. Other services may
-- create it at the same moment: the loser of that race gets duplicate_object or
-- unique_violation, which only means it is there.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE TABLE ward (
    code           text PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    name           text NOT NULL,
    province_code  text NOT NULL,
    province_name  text NOT NULL
);

CREATE TABLE resource (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,95}$'),
    kind          text NOT NULL CHECK (kind IN ('staff', 'volunteer', 'vehicle')),
    display_name  text NOT NULL,
    account_id    text UNIQUE,                    -- login subject of the person (gateway token `sub`)
    skills        text[] NOT NULL DEFAULT '{}',   -- help types; empty = all
    ward_codes    text[] NOT NULL DEFAULT '{}',   -- area covered; empty = any
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bus_route (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,95}$'),
    name        text NOT NULL,
    vehicle_id  text REFERENCES resource (id)
);

CREATE TABLE service_point (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,95}$'),
    model               text NOT NULL CHECK (model IN ('home_visit', 'kiosk', 'mobile_bus', 'volunteer', 'remote')),
    name                text NOT NULL,
    street              text NOT NULL DEFAULT '',
    ward_code           text NOT NULL REFERENCES ward (code),
    latitude            double precision,
    longitude           double precision,
    route_id            text REFERENCES bus_route (id),
    help_types          text[] NOT NULL DEFAULT '{}',   -- empty = all
    volunteer_location  text CHECK (volunteer_location IN ('citizen_home', 'volunteer_home', 'cultural_house')),
    owner_resource_id   text REFERENCES resource (id),  -- a volunteer's own point (their home, their home visits)
    opening_hours_vi    text NOT NULL DEFAULT '',
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT service_point_bus_has_route CHECK ((model = 'mobile_bus') = (route_id IS NOT NULL))
);

-- Wards whose citizens a point serves besides its own (home-visit teams, remote desks, volunteers).
CREATE TABLE point_area (
    point_id   text NOT NULL REFERENCES service_point (id) ON DELETE CASCADE,
    ward_code  text NOT NULL REFERENCES ward (code),
    PRIMARY KEY (point_id, ward_code)
);
CREATE INDEX point_area_ward_idx ON point_area (ward_code);

-- Weekly opening windows in Vietnam wall-clock time. slot_minutes NULL = one slot per
-- window (a bus stop window).
CREATE TABLE opening_window (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    point_id           text NOT NULL REFERENCES service_point (id) ON DELETE CASCADE,
    weekday            smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),   -- ISO: 1 = Monday
    opens              time NOT NULL,
    closes             time NOT NULL,
    slot_minutes       integer CHECK (slot_minutes BETWEEN 10 AND 480),
    capacity           integer NOT NULL CHECK (capacity BETWEEN 0 AND 500),
    priority_reserved  integer NOT NULL DEFAULT 0,
    valid_from         date,
    valid_to           date,
    CONSTRAINT opening_window_order CHECK (closes > opens),
    CONSTRAINT opening_window_priority CHECK (priority_reserved BETWEEN 0 AND capacity),
    CONSTRAINT opening_window_unique UNIQUE NULLS NOT DISTINCT (point_id, weekday, opens, valid_from)
);

-- Public holidays close every point unless the point has an 'open' exception that day.
CREATE TABLE holiday (
    day      date PRIMARY KEY,
    name_vi  text NOT NULL
);

CREATE TABLE point_day_exception (
    point_id  text NOT NULL REFERENCES service_point (id) ON DELETE CASCADE,
    day       date NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('open', 'closed')),
    note      text NOT NULL DEFAULT '',
    PRIMARY KEY (point_id, day)
);

-- Dated windows of the mobile bus at its stops.
CREATE TABLE route_stop (
    id             text PRIMARY KEY,
    route_id       text NOT NULL REFERENCES bus_route (id),
    point_id       text NOT NULL REFERENCES service_point (id),
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason  text NOT NULL DEFAULT '',
    cancelled_at   timestamptz,
    cancelled_by   text,
    CONSTRAINT route_stop_order CHECK (ends_at > starts_at),
    CONSTRAINT route_stop_unique UNIQUE (point_id, starts_at)
);
CREATE INDEX route_stop_time_idx ON route_stop (starts_at);

CREATE TABLE slot (
    id                  text PRIMARY KEY,
    point_id            text NOT NULL REFERENCES service_point (id),
    model               text NOT NULL,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    during              tstzrange GENERATED ALWAYS AS (tstzrange(starts_at, ends_at, '[)')) STORED,
    capacity            integer NOT NULL,
    priority_reserved   integer NOT NULL DEFAULT 0,
    booked              integer NOT NULL DEFAULT 0,    -- bookings holding a place: held, requested, confirmed, completed, no_show
    booked_priority     integer NOT NULL DEFAULT 0,    -- of which priority citizens
    help_types          text[] NOT NULL DEFAULT '{}',  -- empty = all
    stop_id             text REFERENCES route_stop (id),
    resource_id         text REFERENCES resource (id), -- the volunteer giving this slot
    volunteer_location  text,
    -- closed: its day is a holiday or closed for the point (re-opened if that changes); cancelled: its stop was.
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    version             bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT slot_order CHECK (ends_at > starts_at),
    CONSTRAINT slot_capacity_range CHECK (capacity BETWEEN 0 AND 500),
    CONSTRAINT slot_never_overbooked CHECK (booked >= 0 AND booked <= capacity),
    CONSTRAINT slot_priority_counts CHECK (booked_priority >= 0 AND booked_priority <= booked),
    CONSTRAINT slot_priority_share CHECK (priority_reserved >= 0 AND priority_reserved <= capacity),
    CONSTRAINT slot_unique_start UNIQUE NULLS NOT DISTINCT (point_id, starts_at, resource_id)
);
CREATE INDEX slot_search_idx ON slot (starts_at) WHERE status = 'open';
CREATE INDEX slot_point_time_idx ON slot (point_id, starts_at);
CREATE INDEX slot_stop_idx ON slot (stop_id) WHERE stop_id IS NOT NULL;
CREATE INDEX slot_resource_idx ON slot (resource_id, starts_at) WHERE resource_id IS NOT NULL;

CREATE TABLE booking (
    id                     uuid PRIMARY KEY,
    slot_id                text NOT NULL REFERENCES slot (id),
    during                 tstzrange NOT NULL,             -- the slot's, copied for the exclusion constraint
    status                 text NOT NULL CHECK (status IN ('held', 'requested', 'confirmed', 'cancelled',
                                                           'completed', 'no_show', 'expired', 'rejected')),
    help_type              text NOT NULL,
    procedure_code         text NOT NULL DEFAULT '',
    priority               boolean NOT NULL DEFAULT false,
    channel                text NOT NULL DEFAULT 'web',
    -- Personal data (Nghị định 13/2023/NĐ-CP): only in this table; events carry contact_ref.
    citizen_key            text,                           -- hash of the phone number: the overlap key
    full_name              text,
    phone                  text,
    street                 text NOT NULL DEFAULT '',
    zalo_user_id           text NOT NULL DEFAULT '',
    consent_purpose        text,
    consent_given_at       timestamptz,
    consent_text_version   text,
    ward_code              text,                           -- citizen's ward (not personal on its own)
    contact_ref            text UNIQUE,
    booked_by_id           text,
    booked_by_role         text,
    resource_id            text REFERENCES resource (id),
    note                   text NOT NULL DEFAULT '',
    hold_expires_at        timestamptz,
    verification_attempts  integer NOT NULL DEFAULT 0,
    cancel_reason          text NOT NULL DEFAULT '',
    cancelled_by_stop_id   text REFERENCES route_stop (id),
    dossier_codes          text[] NOT NULL DEFAULT '{}',
    help_given             text[] NOT NULL DEFAULT '{}',
    reminder_basis_at      timestamptz,                    -- when it became confirmed for its current slot
    version                bigint NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CONSTRAINT booking_held_has_expiry CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
    -- Only a hold (and what a hold becomes without completion) has no citizen.
    CONSTRAINT booking_citizen_after_hold CHECK (status IN ('held', 'expired', 'cancelled') OR citizen_key IS NOT NULL),
    CONSTRAINT booking_citizen_never_overlaps EXCLUDE USING gist (citizen_key WITH =, during WITH &&)
        WHERE (status IN ('held', 'requested', 'confirmed'))
);
CREATE INDEX booking_slot_idx ON booking (slot_id);
CREATE INDEX booking_held_expiry_idx ON booking (hold_expires_at) WHERE status = 'held';
CREATE INDEX booking_requested_idx ON booking (priority DESC, created_at) WHERE status = 'requested';
CREATE INDEX booking_confirmed_idx ON booking (slot_id) WHERE status = 'confirmed';
CREATE INDEX booking_resource_idx ON booking (resource_id) WHERE resource_id IS NOT NULL;

-- A resource is busy over `during` because of one booking it is assigned to, one slot it
-- gives (a volunteer's availability) or one stop window it drives (the bus). Never twice.
CREATE TABLE resource_commitment (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id  text NOT NULL REFERENCES resource (id),
    during       tstzrange NOT NULL,
    booking_id   uuid UNIQUE REFERENCES booking (id),
    slot_id      text UNIQUE REFERENCES slot (id),
    stop_id      text UNIQUE REFERENCES route_stop (id),
    CONSTRAINT resource_commitment_one_reason CHECK (num_nonnulls(booking_id, slot_id, stop_id) = 1),
    CONSTRAINT resource_never_double_booked EXCLUDE USING gist (resource_id WITH =, during WITH &&)
);

CREATE TABLE booking_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id    uuid NOT NULL REFERENCES booking (id),
    at            timestamptz NOT NULL,
    action        text NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    from_slot_id  text,
    to_slot_id    text,
    actor_id      text,
    actor_role    text,
    actor_name    text,
    note          text NOT NULL DEFAULT ''
);
CREATE INDEX booking_history_booking_idx ON booking_history (booking_id, id);

-- One row per (scope, client key): a retry finds the row and gets the same booking; a
-- different request under the same key is refused by its hash. Inserted first in the
-- booking transaction, so concurrent retries serialise on the key.
CREATE TABLE idempotency_key (
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    booking_id    uuid NOT NULL REFERENCES booking (id) DEFERRABLE INITIALLY DEFERRED,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);

-- Reminders emitted (or deliberately skipped): inserted in the transaction of the
-- reminder_due outbox event, so a restart never sends one twice.
CREATE TABLE reminder (
    booking_id      uuid NOT NULL REFERENCES booking (id),
    kind            text NOT NULL CHECK (kind IN ('day_before', 'hours_before')),
    slot_starts_at  timestamptz NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    event_id        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (booking_id, kind, slot_starts_at)
);

-- Secrets the service generates for itself when none is configured.
CREATE TABLE service_secret (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO service_secret (name, value)
VALUES ('booking_token', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                                  || clock_timestamp()::text, 'UTF8')), 'hex'));
