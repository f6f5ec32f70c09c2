-- The worker claims due mail in the order it was queued: with created_at in
-- the index, the oldest due messages are read off it in order and the scan
-- stops at the batch size, instead of sorting every due message per claim.
DROP INDEX outbox_status_due;
CREATE INDEX outbox_status_due ON outbox (status, due_at, created_at);
