-- Meter readings: one per meter and period; a second one in the same period replaces the
-- first (every column, the id included). `source` is `cabinet`, `anonymous` or `registry`
-- (the billing system's last reading, recorded by the registry import).

CREATE TABLE readings (
    id                 TEXT    NOT NULL PRIMARY KEY,
    -- The account the meter belonged to when the reading was given (no foreign key: a
    -- meter may move to another account later, its readings stay where they were given).
    account_number     TEXT    NOT NULL,
    meter_number       TEXT    NOT NULL REFERENCES meters (number),
    -- The calendar month as year * 100 + month: 202611.
    period             INTEGER NOT NULL,
    value_litres       INTEGER NOT NULL,
    previous_litres    INTEGER NULL,
    consumption_litres INTEGER NULL,
    submitted_at       TEXT    NOT NULL,
    source             TEXT    NOT NULL CHECK (source IN ('cabinet', 'anonymous', 'registry')),
    -- Comma-separated warning codes, '' for none.
    warnings           TEXT    NOT NULL DEFAULT '',
    -- The subscriber who gave it from the cabinet; NULL once the profile is deleted.
    user_id            TEXT    NULL REFERENCES users (id) ON DELETE SET NULL,
    -- The name and phone given with an anonymous reading.
    submitter_name     TEXT    NULL,
    submitter_phone    TEXT    NULL,
    CONSTRAINT readings_meter_period_key UNIQUE (meter_number, period)
) STRICT;

-- An account's history, newest first.
CREATE INDEX readings_account_submitted_idx ON readings (account_number, submitted_at DESC);
-- The export of a period.
CREATE INDEX readings_period_idx ON readings (period, submitted_at);
-- Deleting a user sets these to NULL.
CREATE INDEX readings_user_id_idx ON readings (user_id) WHERE user_id IS NOT NULL;
