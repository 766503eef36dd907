-- Wake the senders only for deliveries they can claim. The planner inserts the deliveries due at
-- once already `sending` and calls the providers itself; a wake-up for those made every sender run
-- a claim and a next-due query that found nothing (two round trips per planned batch, for nothing).
CREATE FUNCTION notification_deliveries_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted WHERE status = 'created') THEN
        PERFORM pg_notify(left('motcua_notification_work_' || TG_TABLE_SCHEMA, 63), TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER deliveries_work ON deliveries;
CREATE TRIGGER deliveries_work AFTER INSERT ON deliveries REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notification_deliveries_notify();
