-- E-mail addresses that get no more e-mail: hard bounces (a 5xx "no such mailbox" at RCPT, or a
-- delivery status notification (RFC 3464) reporting a permanent failure) and complaints (an abuse
-- feedback report, RFC 5965). Addresses are stored in lower case. The other channels are unaffected.
CREATE TABLE email_suppressions (
    address      text        PRIMARY KEY,
    reason       text        NOT NULL CHECK (reason IN ('hard_bounce', 'complaint')),
    status_code  text        NOT NULL DEFAULT '',   -- SMTP reply (550) or enhanced status (5.1.1)
    diagnostic   text        NOT NULL DEFAULT '',
    delivery_id  uuid,                              -- the delivery that revealed it
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
