-- Requests for a visit of the utility's inspector (приемка ИПУ, сверка ИПУ).

CREATE TABLE visit_requests (
    id             UUID PRIMARY KEY,
    -- 'meter_acceptance' or 'meter_verification'.
    kind           TEXT NOT NULL,
    account_number TEXT NOT NULL REFERENCES accounts (number),
    meter_number   TEXT NULL,
    -- E.164: where the inspector calls.
    phone          TEXT NOT NULL,
    visit_date     DATE NOT NULL,
    -- The start of a 30-minute slot.
    visit_time     TIME NOT NULL,
    notes          TEXT NULL,
    -- 'new', 'scheduled', 'done', 'canceled'.
    status         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    -- Cleared when the profile is deleted.
    user_id        UUID NULL REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX visit_requests_user_created_idx ON visit_requests (user_id, created_at DESC);
-- The export by status, oldest first.
CREATE INDEX visit_requests_status_created_idx ON visit_requests (status, created_at);
