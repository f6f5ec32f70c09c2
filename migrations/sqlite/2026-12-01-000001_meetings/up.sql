-- Business meetings: private, with attendees who answer their invite.
-- A meeting is held in a room, online, or both.
CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    agenda TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    time_zone TEXT NOT NULL,
    room_id TEXT REFERENCES rooms (id),
    online_url TEXT,
    event_id TEXT REFERENCES events (id),
    interpreter TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    revision INTEGER NOT NULL DEFAULT 0,
    reminder_offsets TEXT NOT NULL DEFAULT '1440,60',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (room_id IS NOT NULL OR online_url IS NOT NULL)
);
CREATE INDEX meetings_starts_at ON meetings (starts_at);
CREATE INDEX meetings_event_id ON meetings (event_id);

-- An attendee stays a row when removed from the list (removed_at set), so
-- that their calendar copy can be cancelled and their link still answers.
-- The company is an organization or a free-text name, never both.
CREATE TABLE meeting_attendees (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    name TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id),
    organization TEXT,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    partstat TEXT NOT NULL CHECK (partstat IN ('needs_action', 'accepted', 'tentative', 'declined')),
    token_hash TEXT NOT NULL UNIQUE,
    -- A new generation (a new link sent by an organizer) retires the old link.
    link_generation INTEGER NOT NULL DEFAULT 1,
    reminders BOOLEAN NOT NULL DEFAULT TRUE,
    answered_at TIMESTAMP,
    removed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((organization_id IS NULL) <> (organization IS NULL))
);
CREATE UNIQUE INDEX meeting_attendees_one_per_email ON meeting_attendees (meeting_id, email_key);
CREATE INDEX meeting_attendees_email_key ON meeting_attendees (email_key);

-- Each organizer account's private calendar of every event and meeting;
-- a new generation retires the old URL.
CREATE TABLE staff_feeds (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    updated_at TIMESTAMP NOT NULL
);

-- A room is booked by an event or by a meeting: one table, so that one
-- check (under the single write lock) keeps both from overlapping. SQLite
-- cannot change a primary key or a NOT NULL in place: the tables are rebuilt.
CREATE TABLE room_bookings_new (
    event_id TEXT REFERENCES events (id) ON DELETE CASCADE,
    room_id TEXT NOT NULL REFERENCES rooms (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    CHECK ((event_id IS NULL) <> (meeting_id IS NULL)),
    UNIQUE (event_id, room_id),
    UNIQUE (meeting_id, room_id)
);
INSERT INTO room_bookings_new (event_id, room_id, starts_at, ends_at, active, id, meeting_id)
    SELECT event_id, room_id, starts_at, ends_at, active, 'rb-' || event_id || '-' || room_id, NULL
    FROM room_bookings;
DROP TABLE room_bookings;
ALTER TABLE room_bookings_new RENAME TO room_bookings;
CREATE INDEX room_bookings_room_time ON room_bookings (room_id, starts_at);

-- The outbox addresses a registration (about its event) or a meeting
-- attendee (about the meeting); revision is the subject's.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id) ON DELETE CASCADE,
    event_id TEXT REFERENCES events (id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    reminder_minutes INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'skipped')),
    due_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    attendee_id TEXT REFERENCES meeting_attendees (id) ON DELETE CASCADE,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    CHECK (
        (registration_id IS NOT NULL AND event_id IS NOT NULL AND attendee_id IS NULL AND meeting_id IS NULL)
        OR (registration_id IS NULL AND event_id IS NULL AND attendee_id IS NOT NULL AND meeting_id IS NOT NULL)
    )
);
INSERT INTO outbox_new (id, dedupe_key, kind, registration_id, event_id, revision,
        reminder_minutes, status, due_at, attempts, lease_until, last_error, sent_at,
        created_at, updated_at)
    SELECT id, dedupe_key, kind, registration_id, event_id, event_revision,
        reminder_minutes, status, due_at, attempts, lease_until, last_error, sent_at,
        created_at, updated_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_status_due ON outbox (status, due_at);
CREATE INDEX outbox_registration ON outbox (registration_id);
CREATE INDEX outbox_attendee ON outbox (attendee_id);
CREATE INDEX outbox_meeting ON outbox (meeting_id);
