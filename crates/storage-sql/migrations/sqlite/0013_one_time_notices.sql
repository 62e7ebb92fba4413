-- Something to show a user once after a form is sent (a temporary password, a new API
-- secret), so the form can redirect (post/redirect/get) and a refresh repeats nothing.
-- Kept by the hash of a random token in the redirect address, for a few minutes, and
-- deleted as it is shown.
CREATE TABLE one_time_notices (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
