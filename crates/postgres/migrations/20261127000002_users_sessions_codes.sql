-- Subscribers, their sessions and the one-time SMS codes waiting for confirmation.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    -- E.164 (+7XXXXXXXXXX). The constraint names are translated to CreateUserError variants.
    phone           TEXT NOT NULL CONSTRAINT users_phone_key UNIQUE,
    -- Stored lower-cased, so equality is case-insensitive.
    email           TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    -- An argon2id PHC string.
    password_hash   TEXT NOT NULL,
    -- Consent to personal data processing (152-FZ art. 9): when, and which text.
    consent_at      TIMESTAMPTZ NOT NULL,
    consent_version TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the bearer token; the token itself is never stored.
    digest     BYTEA PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- At most one code per phone and purpose; a new code replaces the old one.
CREATE TABLE pending_codes (
    phone           TEXT NOT NULL,
    -- 'registration' or 'password_reset'.
    purpose         TEXT NOT NULL,
    -- SHA-256 of the code; NULL for a decoy (registration of a phone already registered).
    digest          BYTEA NULL,
    -- The e-mail given with a registration request, when there is one.
    email           TEXT NULL,
    sent_at         TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (phone, purpose)
);
