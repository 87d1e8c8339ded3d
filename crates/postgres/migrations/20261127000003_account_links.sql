-- Subscribers' links to registry accounts, with the subscriber's own label.
-- Deleting a user deletes their links; an account is never deleted by the application.

CREATE TABLE account_links (
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_number TEXT NOT NULL REFERENCES accounts (number),
    -- At most 50 characters (Label); NULL when the subscriber gave none.
    label          TEXT NULL,
    linked_at      TIMESTAMPTZ NOT NULL,
    -- Its name is translated to LinkError::AlreadyLinked.
    CONSTRAINT account_links_pkey PRIMARY KEY (user_id, account_number)
);
