-- Indexes for the hourly purge of expired records (each purge deletes by one of these
-- columns) and for deleting a user, whose ON DELETE SET NULL on readings and payments would
-- otherwise scan both tables whole.

CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX pending_codes_expires_at_idx ON pending_codes (expires_at);
CREATE INDEX idempotency_records_created_at_idx ON idempotency_records (created_at);
CREATE INDEX attempts_at_idx ON attempts (at);

CREATE INDEX readings_user_id_idx ON readings (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX payments_user_id_idx ON payments (user_id) WHERE user_id IS NOT NULL;
