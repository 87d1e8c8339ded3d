-- Meter readings (показания): one per meter and period; a later one of the same period
-- replaces the earlier. The registry's last known readings live here too (source 'registry').

CREATE TABLE readings (
    id                 UUID PRIMARY KEY,
    account_number     TEXT NOT NULL,
    meter_number       TEXT NOT NULL REFERENCES meters (number),
    -- The calendar month as year * 100 + month (202611 for 2026-11).
    period             INTEGER NOT NULL,
    -- Whole litres (a reading has three decimals of a cubic metre).
    value_litres       BIGINT NOT NULL,
    previous_litres    BIGINT NULL,
    consumption_litres BIGINT NULL,
    submitted_at       TIMESTAMPTZ NOT NULL,
    -- 'cabinet', 'anonymous' or 'registry'.
    source             TEXT NOT NULL,
    -- Comma-separated warning codes, '' for none.
    warnings           TEXT NOT NULL DEFAULT '',
    -- The subscriber who gave it from the cabinet; cleared when the profile is deleted.
    user_id            UUID NULL REFERENCES users (id) ON DELETE SET NULL,
    -- Name and phone given with an anonymous reading.
    submitter_name     TEXT NULL,
    submitter_phone    TEXT NULL,
    CONSTRAINT readings_meter_number_period_key UNIQUE (meter_number, period)
);

CREATE INDEX readings_account_submitted_idx ON readings (account_number, submitted_at DESC);
