-- One batch of registry rows, as the import sends them with COPY; dropped at commit.
CREATE TEMP TABLE registry_staging (
    ord BIGINT NOT NULL,
    account_number TEXT NOT NULL,
    address TEXT NOT NULL,
    balance_kopecks BIGINT NOT NULL,
    balance_as_of DATE NOT NULL,
    meter_number TEXT NULL,
    service TEXT NULL,
    verification_due DATE NULL,
    reading_litres BIGINT NULL,
    reading_period INTEGER NULL,
    reading_at TIMESTAMPTZ NULL
) ON COMMIT DROP
