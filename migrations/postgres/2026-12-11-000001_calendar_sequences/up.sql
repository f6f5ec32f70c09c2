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
