-- Issue 22: administrators see when each account last signed in (to spot accounts nobody
-- uses any more). Set on every successful sign-in.
ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;
