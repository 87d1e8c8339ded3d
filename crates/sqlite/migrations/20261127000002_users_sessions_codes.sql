-- Registered subscribers, their sessions and the one-time codes waiting for confirmation.

CREATE TABLE users (
    id              TEXT NOT NULL PRIMARY KEY,
    -- E.164, `+79109845003`.
    phone           TEXT NOT NULL CONSTRAINT users_phone_key UNIQUE,
    -- Lower-cased by the domain, so equality is case-insensitive.
    email           TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    -- An argon2id PHC string.
    password_hash   TEXT NOT NULL,
    -- The consent to personal data processing (152-FZ art. 9): when, and which text.
    consent_at      TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    created_at      TEXT NOT NULL
) STRICT;

-- Sessions by the SHA-256 digest of their token (the token itself is never stored).
CREATE TABLE sessions (
    digest     BLOB NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- At most one code per phone and purpose. `digest` (SHA-256 of the code) is NULL for a decoy:
-- a registration of a phone already registered, for which no code was sent. `email` is the
-- e-mail given with a registration, kept until the code is confirmed.
CREATE TABLE pending_codes (
    phone           TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    digest          BLOB    NULL,
    email           TEXT    NULL,
    sent_at         TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (phone, purpose)
) STRICT;
