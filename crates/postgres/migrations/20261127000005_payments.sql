-- Payments to the utility. A payment leaves 'pending' once, for 'succeeded' or 'canceled'.

CREATE TABLE payments (
    id                  UUID PRIMARY KEY,
    account_number      TEXT NOT NULL REFERENCES accounts (number),
    -- 'water', 'temporary_water_supply', 'court', 'heating'.
    purpose             TEXT NOT NULL,
    amount_kopecks      BIGINT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'canceled')),
    -- 'sandbox', 'yookassa', 'tbank'.
    provider            TEXT NOT NULL,
    -- The provider's id, once the provider has created the payment.
    provider_payment_id TEXT NULL,
    confirmation_url    TEXT NULL,
    -- Where the 54-FZ receipt goes: at most one of the two.
    receipt_email       TEXT NULL,
    receipt_phone       TEXT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    paid_at             TIMESTAMPTZ NULL,
    -- The subscriber who paid from the cabinet; cleared when the profile is deleted.
    user_id             UUID NULL REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT payments_provider_payment_id_key UNIQUE (provider, provider_payment_id)
);

CREATE INDEX payments_account_created_idx ON payments (account_number, created_at DESC);
-- Reconciliation looks for old pending payments.
CREATE INDEX payments_status_created_idx ON payments (status, created_at);
