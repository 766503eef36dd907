-- Wake the planner and the webhook worker only when a row was inserted. These statement triggers
-- fired for every statement, rows or not: each event recorded without a webhook subscription (the
-- usual case) woke the webhook worker for a claim that found nothing, and so did a redelivered
-- event whose notification already existed, for the planner.
CREATE FUNCTION notification_inserted_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify(left('motcua_notification_work_' || TG_TABLE_SCHEMA, 63), TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER notifications_work ON notifications;
CREATE TRIGGER notifications_work AFTER INSERT ON notifications REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notification_inserted_notify();
DROP TRIGGER webhook_deliveries_work ON webhook_deliveries;
CREATE TRIGGER webhook_deliveries_work AFTER INSERT ON webhook_deliveries REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notification_inserted_notify();
