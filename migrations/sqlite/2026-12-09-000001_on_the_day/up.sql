-- On the day: check-in at the reception, online and hybrid events, access
-- notes for venues.
ALTER TABLE registrations ADD COLUMN checked_in_at TIMESTAMP;
-- The organizer account that checked the guest in (kept as text: deleting
-- an account does not undo a check-in).
ALTER TABLE registrations ADD COLUMN checked_in_by TEXT;
-- SHA-256 of the check-in link's token (derived from the registration id
-- with the link key, like the manage link); NULL until the service fills it.
ALTER TABLE registrations ADD COLUMN check_in_hash TEXT;
CREATE UNIQUE INDEX registrations_check_in_hash ON registrations (check_in_hash);
ALTER TABLE events ADD COLUMN online_url TEXT CHECK (online_url IS NULL OR online_url LIKE 'https://%');
ALTER TABLE events ADD COLUMN online_platform TEXT;
ALTER TABLE venues ADD COLUMN access_ja TEXT NOT NULL DEFAULT '';
ALTER TABLE venues ADD COLUMN access_en TEXT NOT NULL DEFAULT '';
