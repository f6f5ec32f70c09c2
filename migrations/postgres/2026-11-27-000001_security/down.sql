ALTER TABLE api_tokens DROP COLUMN last_used_at;
DROP TABLE login_failures;
