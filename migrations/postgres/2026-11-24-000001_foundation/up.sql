-- Foundation: organizations, venues with rooms, joint events, organizer accounts.
-- Times are UTC instants (TIMESTAMP); the IANA zone is stored beside them.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('organizer', 'company', 'research_institute', 'government')),
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    website TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE venues (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    address_ja TEXT NOT NULL,
    address_en TEXT NOT NULL,
    area TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE rooms (
    id TEXT PRIMARY KEY NOT NULL,
    venue_id TEXT NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rooms_venue_id ON rooms (venue_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    description_ja TEXT NOT NULL,
    description_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('seminar', 'networking', 'partnering', 'business_meeting')),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    time_zone TEXT NOT NULL,
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    registration_opens_at TIMESTAMP,
    registration_closes_at TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'cancelled')),
    revision INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_starts_at ON events (starts_at);

CREATE TABLE event_organizers (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (event_id, organization_id)
);
CREATE INDEX event_organizers_organization_id ON event_organizers (organization_id);

-- A booking copies the event's interval so that overlap checks read one table;
-- inactive bookings (cancelled events) no longer hold the room. The exclusion
-- constraint is the backstop behind the row lock taken in db::events.
CREATE TABLE room_bookings (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    room_id TEXT NOT NULL REFERENCES rooms (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (event_id, room_id)
);
CREATE INDEX room_bookings_room_time ON room_bookings (room_id, starts_at);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_no_overlap
    EXCLUDE USING gist (room_id WITH =, tsrange(starts_at, ends_at) WITH &&) WHERE (active);
