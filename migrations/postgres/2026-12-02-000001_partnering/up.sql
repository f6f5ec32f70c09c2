-- Partnering days: an event of kind partnering gets settings (slot length,
-- gap, meeting windows, tables, request deadline), its confirmed
-- registrants a company profile, and requests between them that the
-- scheduler turns into business meetings at a table.
CREATE TABLE partnering_settings (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    gap_minutes INTEGER NOT NULL CHECK (gap_minutes BETWEEN 0 AND 120),
    request_deadline TIMESTAMP NOT NULL,
    max_meetings INTEGER CHECK (max_meetings IS NULL OR max_meetings >= 1),
    -- When a plan was last confirmed: from then on a request accepted is
    -- placed at once, and the slots cannot change without a re-plan.
    scheduled_at TIMESTAMP,
    revision INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

-- The times in which meetings are held; slots are cut from them.
CREATE TABLE partnering_windows (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES partnering_settings (event_id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX partnering_windows_event ON partnering_windows (event_id);

-- A table is in a room of the event or online, with its own meeting URL.
CREATE TABLE partnering_tables (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES partnering_settings (event_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    room_id TEXT REFERENCES rooms (id),
    online_url TEXT,
    CHECK ((room_id IS NULL) <> (online_url IS NULL)),
    UNIQUE (event_id, label)
);

CREATE TABLE partnering_profiles (
    registration_id TEXT PRIMARY KEY NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    organization TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    offer TEXT NOT NULL,
    seek TEXT NOT NULL,
    -- Comma-separated category codes from the fixed list.
    offer_categories TEXT NOT NULL,
    seek_categories TEXT NOT NULL,
    interpreter BOOLEAN NOT NULL DEFAULT FALSE,
    listed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX partnering_profiles_event ON partnering_profiles (event_id);

-- A participant is not available in the slot starting then.
CREATE TABLE partnering_unavailability (
    registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    PRIMARY KEY (registration_id, starts_at)
);

-- One request per pair of participants (pair_low < pair_high, whoever
-- asked); once placed, it has its meeting (whose time and table_label
-- are the slot and table).
CREATE TABLE partnering_requests (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    requester_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    pair_low TEXT NOT NULL,
    pair_high TEXT NOT NULL,
    message TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled')),
    -- The organizer account that made or answered it on a participant's behalf.
    organizer_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    meeting_id TEXT REFERENCES meetings (id),
    answered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (requester_id <> recipient_id),
    CHECK (pair_low < pair_high),
    UNIQUE (event_id, pair_low, pair_high)
);
CREATE INDEX partnering_requests_requester ON partnering_requests (requester_id);
CREATE INDEX partnering_requests_recipient ON partnering_requests (recipient_id);
CREATE INDEX partnering_requests_event ON partnering_requests (event_id, status);

-- A meeting at a partnering table: the room is the table's and shared by
-- every table in it (the event books it), so the meeting does not.
ALTER TABLE meetings ADD COLUMN table_label TEXT;

-- Mail about a request goes to a participant (registration_id, event_id)
-- and names the request.
ALTER TABLE outbox ADD COLUMN partnering_request_id TEXT;
CREATE INDEX outbox_partnering_request ON outbox (partnering_request_id);
