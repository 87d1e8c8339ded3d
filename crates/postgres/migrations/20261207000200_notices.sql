-- Notices (issue 17): the reminders and news a subscriber gets by e-mail, web push or SMS.
-- A notice is stored once per user, kind, subject and period (planning it again does
-- nothing); its deliveries, one per channel (and per push subscription), are an outbox claimed
-- like the SMS outbox (ADR 0010): picked FOR UPDATE SKIP LOCKED, then held by a lease.
-- Deleting a user deletes their preferences, subscriptions, notices and deliveries.

-- When the user's current e-mail was verified; NULL: not verified.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ NULL;

-- The channels a subscriber chose per topic, each a set of bits (`Channels::bits`: e-mail 1,
-- push 2, SMS 4). No row: the defaults.
CREATE TABLE notice_preferences (
    user_id      UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    readings     SMALLINT NOT NULL CHECK (readings BETWEEN 0 AND 7),
    verification SMALLINT NOT NULL CHECK (verification BETWEEN 0 AND 7),
    payments     SMALLINT NOT NULL CHECK (payments BETWEEN 0 AND 7),
    debt         SMALLINT NOT NULL CHECK (debt BETWEEN 0 AND 7)
);

-- Browsers' web push subscriptions. An endpoint is one browser's: it is kept once, for the
-- user who subscribed it last (a browser that moves to another user gets a new row, so that
-- the former user's pending deliveries never reach it).
CREATE TABLE push_subscriptions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL CONSTRAINT push_subscriptions_endpoint_key UNIQUE,
    -- The browser's keys in URL-safe base64 without padding (`PushSubscription::*_text`).
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX push_subscriptions_user_id_idx ON push_subscriptions (user_id);

-- One notice to one user, as every channel says it.
CREATE TABLE notices (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- `NoticeKind`'s code: 'reading_window_opens', 'payment_succeeded', ...
    kind       TEXT NOT NULL,
    -- What it is about (an account, a meter, a payment) and which occurrence ('' for none).
    subject    TEXT NOT NULL,
    period     TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- The web client's path the notice opens.
    url        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- Planning inserts ON CONFLICT on it: a notice is stored once whatever the race.
    CONSTRAINT notices_key UNIQUE (user_id, kind, subject, period)
);

-- The purge of notices older than 400 days.
CREATE INDEX notices_created_at_idx ON notices (created_at);

-- The outbox of the notices: one row per channel of a notice (per subscription for push).
CREATE TABLE notice_deliveries (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice_id            BIGINT NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    channel              TEXT NOT NULL CHECK (channel IN ('email', 'push', 'sms')),
    -- A push delivery's subscription; NULL for the other channels, and once the subscription
    -- is dropped (the delivery is then claimed without one).
    push_subscription_id BIGINT NULL REFERENCES push_subscriptions (id) ON DELETE SET NULL,
    state                TEXT NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'sent', 'failed')),
    -- Attempts claimed so far.
    attempts             INTEGER NOT NULL DEFAULT 0,
    -- When the delivery may be claimed (again): when it is due (after the quiet hours), its
    -- next attempt, or the end of a claim's lease.
    next_attempt_at      TIMESTAMPTZ NOT NULL,
    sent_at              TIMESTAMPTZ NULL,
    -- The channel's last answer, for the operator (no address, no text).
    last_error           TEXT NULL,
    created_at           TIMESTAMPTZ NOT NULL
);

-- The claim: the pending deliveries in the order it takes them.
CREATE INDEX notice_deliveries_due_idx ON notice_deliveries (next_attempt_at, id)
    WHERE state = 'pending';
-- A user's deliveries, and the cascade from notices.
CREATE INDEX notice_deliveries_notice_id_idx ON notice_deliveries (notice_id);
-- The SET NULL when a subscription is dropped.
CREATE INDEX notice_deliveries_push_subscription_id_idx ON notice_deliveries (push_subscription_id)
    WHERE push_subscription_id IS NOT NULL;
-- The purge of finished deliveries older than 400 days.
CREATE INDEX notice_deliveries_finished_created_idx ON notice_deliveries (created_at)
    WHERE state <> 'pending';

-- What is due, read across the registry, the links and the payments (checked with EXPLAIN
-- on 500 000 accounts, a million meters, 300 000 links):
-- the accounts whose readings of a period are not all in (a hash anti-join of the meters
-- with the period's live readings, read from this index alone rather than from every
-- period's readings; the period's export reads it too),
CREATE INDEX readings_live_period_idx ON readings (period, meter_number) WHERE voided_at IS NULL;
-- the payments of users that succeeded since an instant,
CREATE INDEX payments_succeeded_paid_at_idx ON payments (paid_at)
    WHERE status = 'succeeded' AND user_id IS NOT NULL;
-- the meters whose verification falls between two dates, and the holders of their accounts
-- (the links were only ever read by user).
CREATE INDEX meters_verification_due_idx ON meters (verification_due)
    WHERE verification_due IS NOT NULL;
CREATE INDEX account_links_account_number_idx ON account_links (account_number);
