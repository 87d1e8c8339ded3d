-- The token of the request that holds a key's claim: its answer is written, in the
-- transaction of its work, only while it still holds the claim, and a retry that takes an
-- abandoned claim over gives it a new token. NULL on records from before it.
ALTER TABLE idempotency_records ADD COLUMN claim_token BLOB NULL;
