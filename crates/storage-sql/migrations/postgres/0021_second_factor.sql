-- Issue 24: a second factor for password accounts: an authenticator app (TOTP, RFC 6238)
-- and ten single-use recovery codes. The app's secret is kept here (it must be, to check a
-- code); recovery codes only as SHA-256 hashes.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- A secret shown while the user is setting up their app, until they confirm a code from it.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The last time step a code was taken for: a code is taken once (no replay).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- Wrong codes in a row (not cleared by the sign-in lock): at 10 the second factor takes no
-- more codes until an administrator resets it.
ALTER TABLE users ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMPTZ;

CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);
