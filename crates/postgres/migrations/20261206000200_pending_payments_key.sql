-- Reconciliation walks the pending payments in pages by key, (created_at, id): an index of
-- the pending ones alone, in that order, serves each page without reading the settled ones.
CREATE INDEX payments_pending_key_idx ON payments (created_at, id) WHERE status = 'pending';
