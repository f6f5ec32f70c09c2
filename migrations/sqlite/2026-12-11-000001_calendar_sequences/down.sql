ALTER TABLE outbox DROP COLUMN sequence;
DROP TABLE calendar_sequences;
