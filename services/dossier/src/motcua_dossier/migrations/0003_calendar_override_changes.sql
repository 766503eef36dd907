-- Calendar overrides are managed through the API (PutCalendarOverride, DeleteCalendarOverride): who set each
-- row last, and every change kept, so that an appointment can be traced to the decision in force when it was given.
ALTER TABLE calendar_overrides
    ADD COLUMN updated_by jsonb,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE calendar_override_changes (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day           date        NOT NULL,
    agency_code   text,
    action        text        NOT NULL CHECK (action IN ('put', 'delete')),
    kind          text,
    reason        text,
    decision_ref  text,
    actor         jsonb       NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_override_changes_day ON calendar_override_changes (day);
