-- Requests made under an `Idempotency-Key`, and the attempt counters of the abuse limits.
-- Both live in the database so that every server process shares them.

-- `response_status` is NULL while the first request runs.
CREATE TABLE idempotency_records (
    caller          TEXT    NOT NULL,
    endpoint        TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    -- SHA-256 of the request body.
    fingerprint     BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    response_status INTEGER NULL,
    response_body   BLOB    NULL,
    PRIMARY KEY (caller, endpoint, key)
) STRICT;

-- One row per attempt; a sliding window counts the rows of a key newer than its start.
CREATE TABLE attempts (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
) STRICT;

CREATE INDEX attempts_key_at_idx ON attempts (key, at);
