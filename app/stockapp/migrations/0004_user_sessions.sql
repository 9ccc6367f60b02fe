-- Server-side sessions. A signed cookie alone stays valid until it expires, so logging out
-- could not end a copy of it; now a session lives only while its row does. The cookie holds a
-- random token, the row its SHA-256: a copy of the database does not yield usable sessions.
CREATE TABLE user_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);
CREATE INDEX user_sessions_by_time ON user_sessions (created_at);
