-- Requests for a technician's visit (meter acceptance or verification).

CREATE TABLE visit_requests (
    id             TEXT NOT NULL PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('meter_acceptance', 'meter_verification')),
    account_number TEXT NOT NULL REFERENCES accounts (number),
    meter_number   TEXT NULL,
    phone          TEXT NOT NULL,
    visit_date     TEXT NOT NULL,
    visit_time     TEXT NOT NULL,
    notes          TEXT NULL,
    status         TEXT NOT NULL CHECK (status IN ('new', 'scheduled', 'done', 'canceled')),
    created_at     TEXT NOT NULL,
    -- The subscriber who booked it; NULL once the profile is deleted.
    user_id        TEXT NULL REFERENCES users (id) ON DELETE SET NULL
) STRICT;

-- A user's requests, newest first.
CREATE INDEX visit_requests_user_created_idx ON visit_requests (user_id, created_at DESC);
-- The export by status, oldest first.
CREATE INDEX visit_requests_status_created_idx ON visit_requests (status, created_at);
CREATE INDEX visit_requests_created_idx ON visit_requests (created_at);
