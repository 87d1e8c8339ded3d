-- The operator's void of a wrong reading (`vodokanal readings void`): the reading is kept with
-- the time and reason of the void, and its meter and period are free for a new reading. One
-- live (not voided) reading per meter and period: the unique key becomes a partial unique
-- index on the live readings, and the upserts name it (`ON CONFLICT (meter_number, period)
-- WHERE voided_at IS NULL`). SQLite can't drop a table's constraint, so the table is rebuilt
-- with the same columns, checks and indexes.

CREATE TABLE readings_voidable (
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
    -- When and why the operator voided it; both or neither.
    voided_at          TEXT    NULL,
    void_reason        TEXT    NULL,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))
) STRICT;

INSERT INTO readings_voidable (id, account_number, meter_number, period, value_litres,
    previous_litres, consumption_litres, submitted_at, source, warnings, user_id,
    submitter_name, submitter_phone)
SELECT id, account_number, meter_number, period, value_litres, previous_litres,
    consumption_litres, submitted_at, source, warnings, user_id, submitter_name, submitter_phone
FROM readings;

DROP TABLE readings;
ALTER TABLE readings_voidable RENAME TO readings;

-- One live reading per meter and period; voided ones beside it.
CREATE UNIQUE INDEX readings_live_meter_period_key ON readings (meter_number, period)
    WHERE voided_at IS NULL;
-- An account's history, newest first.
CREATE INDEX readings_account_submitted_idx ON readings (account_number, submitted_at DESC);
-- The export of a period.
CREATE INDEX readings_period_idx ON readings (period, submitted_at);
-- Deleting a user sets these to NULL.
CREATE INDEX readings_user_id_idx ON readings (user_id) WHERE user_id IS NOT NULL;
