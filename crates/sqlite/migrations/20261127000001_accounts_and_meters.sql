-- The utility's registry: billing accounts and their meters, replaced row by row by each
-- registry import (never deleted by it).
--
-- SQLite conventions of this schema: ids are hyphenated UUID text; instants are RFC 3339 UTC
-- text with six fractional digits (`2026-11-16T09:00:00.000000Z`), so that they sort as text;
-- dates are `YYYY-MM-DD`, times `HH:MM`; digests are BLOBs. Tables are STRICT.

CREATE TABLE accounts (
    number          TEXT    NOT NULL PRIMARY KEY,
    address         TEXT    NOT NULL,
    -- The registry's balance in kopecks; positive: the subscriber owes the utility.
    balance_kopecks INTEGER NOT NULL,
    -- The day the balance was computed (end of day).
    balance_as_of   TEXT    NOT NULL
) STRICT;

-- A meter number is unique registry-wide: a registry row listing a known meter under another
-- account moves it there.
CREATE TABLE meters (
    number           TEXT NOT NULL PRIMARY KEY,
    account_number   TEXT NOT NULL REFERENCES accounts (number),
    service          TEXT NOT NULL CHECK (service IN ('cold_water', 'hot_water')),
    -- When the meter's calibration is due, if the registry knows.
    verification_due TEXT NULL
) STRICT;

CREATE INDEX meters_account_number_idx ON meters (account_number);
