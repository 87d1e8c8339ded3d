-- The transactional SMS outbox (ADR 0010): a request stores the message with its own writes;
-- the background sender claims due messages, sends them and records the gateway's answer.
-- `text` is personal data (it may carry a code): it is emptied once the message is sent or
-- given up, and the hourly purge deletes the row a day after `expires_at`.

CREATE TABLE sms_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- E.164.
    phone           TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    -- 'registration', 'password_reset' or 'account_linked'.
    purpose         TEXT    NOT NULL,
    -- The subscriber's address, for the gateway's anti-fraud checks.
    client_ip       TEXT    NULL,
    -- 'pending', 'sent' or 'failed'.
    state           TEXT    NOT NULL DEFAULT 'pending',
    -- Attempts claimed so far.
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    -- When the message may be claimed (again): its next attempt, or the end of a claim's lease.
    next_attempt_at TEXT    NOT NULL,
    -- The code's expiry: no attempt after it.
    expires_at      TEXT    NOT NULL,
    -- The gateway's last answer, for the operator (no phone, no text).
    last_error      TEXT    NULL,
    sent_at         TEXT    NULL
) STRICT;

CREATE INDEX sms_outbox_due_idx ON sms_outbox (state, next_attempt_at);
CREATE INDEX sms_outbox_expires_at_idx ON sms_outbox (expires_at);
CREATE INDEX sms_outbox_phone_idx ON sms_outbox (phone);
