-- Issue 26: limits that hold across nodes. Each counted use of a limited thing (a failed
-- sign-in from an address, an account's failed password from an address, a token request,
-- a self-referral …) is a row here, so every node counts the same uses. The key is a SHA-256
-- hash (no network address is kept in clear); rows older than a day are removed as new ones
-- are added.
CREATE TABLE limit_hits (
    key_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX limit_hits_key ON limit_hits(key_hash, at);
CREATE INDEX limit_hits_at ON limit_hits(at);
