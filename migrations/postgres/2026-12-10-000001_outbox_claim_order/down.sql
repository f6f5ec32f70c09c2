DROP INDEX outbox_status_due;
CREATE INDEX outbox_status_due ON outbox (status, due_at);
