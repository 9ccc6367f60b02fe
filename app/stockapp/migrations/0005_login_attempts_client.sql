-- Failed logins also counted per client address, so one client cannot try a password against
-- many accounts (the per-account limit alone only stops many passwords against one account).
ALTER TABLE login_attempts ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_attempts_by_client ON login_attempts (client, attempted_at);
