ALTER TABLE venues DROP COLUMN access_en;
ALTER TABLE venues DROP COLUMN access_ja;
ALTER TABLE events DROP CONSTRAINT events_online_url_https;
ALTER TABLE events DROP COLUMN online_platform;
ALTER TABLE events DROP COLUMN online_url;
DROP INDEX registrations_check_in_hash;
ALTER TABLE registrations DROP COLUMN check_in_hash;
ALTER TABLE registrations DROP COLUMN checked_in_by;
ALTER TABLE registrations DROP COLUMN checked_in_at;
