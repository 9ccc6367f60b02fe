-- A random value per account, copied into its session at login and checked on every request.
-- SQLite hands out a deleted (or, after a restore, a lost) account's id again, so a user id
-- alone cannot tell an old session from the new account that got that id.
ALTER TABLE users ADD COLUMN session_nonce TEXT NOT NULL DEFAULT '';
UPDATE users SET session_nonce = lower(hex(randomblob(16)));
