DROP INDEX outbox_meeting;
DROP INDEX outbox_attendee;
DELETE FROM outbox WHERE registration_id IS NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_one_recipient;
ALTER TABLE outbox DROP COLUMN meeting_id;
ALTER TABLE outbox DROP COLUMN attendee_id;
ALTER TABLE outbox RENAME COLUMN revision TO event_revision;
ALTER TABLE outbox ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN registration_id SET NOT NULL;

DELETE FROM room_bookings WHERE event_id IS NULL;
ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_meeting_room;
ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_event_room;
ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_one_holder;
ALTER TABLE room_bookings DROP COLUMN meeting_id;
ALTER TABLE room_bookings ALTER COLUMN event_id SET NOT NULL;
ALTER TABLE room_bookings DROP CONSTRAINT room_bookings_pkey;
ALTER TABLE room_bookings DROP COLUMN id;
ALTER TABLE room_bookings ADD PRIMARY KEY (event_id, room_id);

DROP TABLE staff_feeds;
DROP TABLE meeting_attendees;
DROP TABLE meetings;
