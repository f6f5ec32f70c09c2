-- The SEQUENCE (RFC 5546) of the last iTIP message queued to one person
-- (by the keyed hash of their email) about one event or meeting, the
-- subject's revision then, and whether it cancelled their copy. The next
-- message to them never carries a lower number, and one about a newer
-- revision or that brings a cancelled copy back a higher one; their
-- personal feed shows the same number.
CREATE TABLE calendar_sequences (
    email_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    cancelled BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (email_key, subject)
);

-- The SEQUENCE an outbox message's invite carries, fixed when queued
-- (NULL: no invite, or queued before this column; then the revision).
ALTER TABLE outbox ADD COLUMN sequence INTEGER;

-- Guests who cancelled before this table existed were sent a CANCEL with
-- the event's revision plus one at most: a registration again must go above.
INSERT INTO calendar_sequences (email_key, subject, sequence, revision, cancelled, updated_at)
SELECT r.email_key, 'event-' || r.event_id, MAX(e.revision) + 1, MAX(e.revision), TRUE, CURRENT_TIMESTAMP
FROM registrations r JOIN events e ON e.id = r.event_id
WHERE r.status = 'cancelled'
  AND NOT EXISTS (
    SELECT 1 FROM registrations a
    WHERE a.email_key = r.email_key AND a.event_id = r.event_id AND a.status <> 'cancelled'
  )
GROUP BY r.email_key, r.event_id;
-- Attendees taken off a meeting were sent a CANCEL with its revision then.
INSERT INTO calendar_sequences (email_key, subject, sequence, revision, cancelled, updated_at)
SELECT a.email_key, 'meeting-' || a.meeting_id, MAX(m.revision), MAX(m.revision), TRUE, CURRENT_TIMESTAMP
FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id
WHERE a.removed_at IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM meeting_attendees b
    WHERE b.email_key = a.email_key AND b.meeting_id = a.meeting_id AND b.removed_at IS NULL
  )
GROUP BY a.email_key, a.meeting_id;
