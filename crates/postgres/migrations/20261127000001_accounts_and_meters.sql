-- The billing system's registry: accounts (лицевые счета) and their meters (ИПУ).
-- Both are written only by the registry import; subscribers read them.

CREATE TABLE accounts (
    -- 4 to 20 digits (AccountNumber).
    number          TEXT PRIMARY KEY,
    address         TEXT NOT NULL,
    -- The registry's balance in kopecks; positive: the subscriber owes the utility.
    balance_kopecks BIGINT NOT NULL,
    -- The day the balance was computed (end of day).
    balance_as_of   DATE NOT NULL
);

CREATE TABLE meters (
    -- A meter number is unique registry-wide; a registry row that lists a known meter under
    -- another account moves it there.
    number           TEXT PRIMARY KEY,
    account_number   TEXT NOT NULL REFERENCES accounts (number),
    service          TEXT NOT NULL CHECK (service IN ('cold_water', 'hot_water')),
    -- When the meter's calibration (поверка) is due, if the registry knows.
    verification_due DATE NULL
);

CREATE INDEX meters_account_number_idx ON meters (account_number);
