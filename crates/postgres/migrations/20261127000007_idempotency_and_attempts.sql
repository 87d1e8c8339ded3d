-- What the server remembers across processes: Idempotency-Key records and the attempt
-- counters behind the abuse limits.

CREATE TABLE idempotency_records (
    -- 'user:<uuid>' or 'ip:<address>': keys of different callers never meet.
    caller          TEXT NOT NULL,
    -- e.g. 'POST /public/readings'.
    endpoint        TEXT NOT NULL,
    key             TEXT NOT NULL,
    -- SHA-256 of the request body, to tell a repeat from a reused key.
    fingerprint     BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    -- The first response, once the request completed; NULL while it runs.
    response_status INTEGER NULL,
    response_body   BYTEA NULL,
    PRIMARY KEY (caller, endpoint, key)
);

-- One row per counted attempt; a limit counts the key's rows within its window.
CREATE TABLE attempts (
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX attempts_key_at_idx ON attempts (key, at);
