CREATE TABLE outbox_old (
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
INSERT INTO outbox_old (id, dedupe_key, kind, registration_id, event_id, event_revision,
        reminder_minutes, status, due_at, attempts, lease_until, last_error, sent_at,
        created_at, updated_at)
    SELECT id, dedupe_key, kind, registration_id, event_id, revision,
        reminder_minutes, status, due_at, attempts, lease_until, last_error, sent_at,
        created_at, updated_at
    FROM outbox WHERE registration_id IS NOT NULL;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_status_due ON outbox (status, due_at);
CREATE INDEX outbox_registration ON outbox (registration_id);

CREATE TABLE room_bookings_old (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    room_id TEXT NOT NULL REFERENCES rooms (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (event_id, room_id)
);
INSERT INTO room_bookings_old (event_id, room_id, starts_at, ends_at, active)
    SELECT event_id, room_id, starts_at, ends_at, active FROM room_bookings WHERE event_id IS NOT NULL;
DROP TABLE room_bookings;
ALTER TABLE room_bookings_old RENAME TO room_bookings;
CREATE INDEX room_bookings_room_time ON room_bookings (room_id, starts_at);

DROP TABLE staff_feeds;
DROP TABLE meeting_attendees;
DROP TABLE meetings;
