-- Issue 25: SMART Backend Services. A client may register its public keys (a JWK Set) and
-- sign in with a signed JWT client assertion (private_key_jwt) instead of its secret. Each
-- assertion's jti is kept until the assertion expires, so one can be used only once.
ALTER TABLE api_clients ADD COLUMN jwks TEXT;
CREATE TABLE client_assertions (
    client_id INTEGER NOT NULL REFERENCES api_clients(id),
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertions_expires ON client_assertions(expires_at);
