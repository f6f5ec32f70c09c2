-- Registrations with capacity and waitlist, personal feeds, the outbox of
-- mail to send, and the key that derives guests' link tokens.

-- confirmed_count is raised by a conditional UPDATE in the transaction that
-- confirms a registration; the CHECK is the backstop against overbooking.
ALTER TABLE events ADD COLUMN confirmed_count INTEGER NOT NULL DEFAULT 0
    CHECK (confirmed_count >= 0 AND (capacity IS NULL OR confirmed_count <= capacity));
-- Minutes before the start, comma-separated, largest first.
ALTER TABLE events ADD COLUMN reminder_offsets TEXT NOT NULL DEFAULT '1440,60';

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    name TEXT NOT NULL,
    furigana TEXT,
    organization TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    waitlist_position BIGINT,
    token_hash TEXT NOT NULL UNIQUE,
    reminders BOOLEAN NOT NULL DEFAULT 1,
    consented_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP
);
CREATE UNIQUE INDEX registrations_one_active_per_email
    ON registrations (event_id, email_key) WHERE status <> 'cancelled';
CREATE INDEX registrations_event_status ON registrations (event_id, status, waitlist_position);
-- The next waitlist position is MAX(waitlist_position) of the event.
CREATE INDEX registrations_waitlist_position ON registrations (event_id, waitlist_position);
CREATE INDEX registrations_email_key ON registrations (email_key);

CREATE TABLE guest_feeds (
    email_key TEXT PRIMARY KEY NOT NULL,
    generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE service_keys (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_revision INTEGER NOT NULL,
    reminder_minutes INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'skipped')),
    due_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_status_due ON outbox (status, due_at);
CREATE INDEX outbox_registration ON outbox (registration_id);
