-- A subscriber's links to registry accounts, with the subscriber's own label. Deleting the
-- user deletes their links; the account stays.

CREATE TABLE account_links (
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_number TEXT NOT NULL REFERENCES accounts (number),
    label          TEXT NULL,
    linked_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, account_number)
) STRICT;

CREATE INDEX account_links_account_number_idx ON account_links (account_number);
