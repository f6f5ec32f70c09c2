DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE room_bookings;
DROP TABLE event_organizers;
DROP TABLE events;
DROP TABLE rooms;
DROP TABLE venues;
DROP TABLE organizations;
-- btree_gist stays: it may serve other objects, and it holds no data.
