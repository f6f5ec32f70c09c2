-- Failed sign-ins, per account (normalized email, known or not) and per
-- client address, kept for the lockout window only; in the database so
-- that every instance sees them.
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (scope, subject, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);

-- When a token was last used (updated at most once a minute), so organizers
-- can see which tokens are alive before they revoke one.
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
