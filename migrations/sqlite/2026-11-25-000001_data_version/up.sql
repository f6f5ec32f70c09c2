-- One row that changes with every change of what pages and feeds show, so
-- that rendered feeds can be cached per version and checked cheaply.
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
INSERT INTO data_version (id, version, changed_at) VALUES (1, 0, strftime('%Y-%m-%d %H:%M:%S', 'now'));
