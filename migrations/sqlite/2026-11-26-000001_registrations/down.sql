DROP TABLE outbox;
DROP TABLE service_keys;
DROP TABLE guest_feeds;
DROP TABLE registrations;
ALTER TABLE events DROP COLUMN reminder_offsets;
ALTER TABLE events DROP COLUMN confirmed_count;
