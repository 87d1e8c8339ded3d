-- Indexes for the hourly purge of expired records: each purge deletes by one of these
-- columns. (The user_id indexes that deleting a user needs are in the readings and payments
-- migrations.)

CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX pending_codes_expires_at_idx ON pending_codes (expires_at);
CREATE INDEX idempotency_records_created_at_idx ON idempotency_records (created_at);
CREATE INDEX attempts_at_idx ON attempts (at);
