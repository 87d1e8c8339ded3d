-- Payments: pending, then succeeded or canceled, never back. `settle` is one conditional
-- UPDATE on `status = 'pending'`, so a payment moves once whatever the concurrency.

CREATE TABLE payments (
    id                  TEXT    NOT NULL PRIMARY KEY,
    account_number      TEXT    NOT NULL REFERENCES accounts (number),
    purpose             TEXT    NOT NULL,
    amount_kopecks      INTEGER NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'canceled')),
    -- `sandbox`, `yookassa`, ...
    provider            TEXT    NOT NULL,
    -- The provider's own id, once the provider created the payment.
    provider_payment_id TEXT    NULL,
    confirmation_url    TEXT    NULL,
    -- Where the receipt goes: an e-mail or a phone (at most one is set).
    receipt_email       TEXT    NULL,
    receipt_phone       TEXT    NULL,
    created_at          TEXT    NOT NULL,
    paid_at             TEXT    NULL,
    -- The subscriber who paid from the cabinet; NULL once the profile is deleted.
    user_id             TEXT    NULL REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT payments_provider_payment_key UNIQUE (provider, provider_payment_id)
) STRICT;

-- An account's history, newest first.
CREATE INDEX payments_account_created_idx ON payments (account_number, created_at DESC);
-- Reconciliation of pending payments, oldest first.
CREATE INDEX payments_status_created_idx ON payments (status, created_at);
-- The export of a date range.
CREATE INDEX payments_created_idx ON payments (created_at);
CREATE INDEX payments_user_id_idx ON payments (user_id) WHERE user_id IS NOT NULL;
