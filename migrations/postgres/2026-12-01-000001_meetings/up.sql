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

-- A room is booked by an event or by a meeting: one table, so that the
-- exclusion constraint keeps both from overlapping.
ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_pkey;
ALTER TABLE room_bookings ADD COLUMN id TEXT;
UPDATE room_bookings SET id = 'rb-' || event_id || '-' || room_id;
ALTER TABLE room_bookings ALTER COLUMN id SET NOT NULL;
ALTER TABLE room_bookings ADD PRIMARY KEY (id);
ALTER TABLE room_bookings ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE room_bookings ADD COLUMN meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE;
ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_one_holder
    CHECK ((event_id IS NULL) <> (meeting_id IS NULL));
ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_event_room UNIQUE (event_id, room_id);
ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_meeting_room UNIQUE (meeting_id, room_id);

-- The outbox addresses a registration (about its event) or a meeting
-- attendee (about the meeting); revision is the subject's.
ALTER TABLE outbox ALTER COLUMN registration_id DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE outbox RENAME COLUMN event_revision TO revision;
ALTER TABLE outbox ADD COLUMN attendee_id TEXT REFERENCES meeting_attendees (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD CONSTRAINT outbox_one_recipient CHECK (
    (registration_id IS NOT NULL AND event_id IS NOT NULL AND attendee_id IS NULL AND meeting_id IS NULL)
    OR (registration_id IS NULL AND event_id IS NULL AND attendee_id IS NOT NULL AND meeting_id IS NOT NULL)
);
CREATE INDEX outbox_attendee ON outbox (attendee_id);
CREATE INDEX outbox_meeting ON outbox (meeting_id);
