-- Issue 24: single sign-on over OpenID Connect. Accounts stay Linkwork's: a provider's
-- identity (its issuer's `sub`, or the claim the deployment names) is linked to an existing
-- account by an administrator or by the user proving their password once.
CREATE TABLE sign_in_identities (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- The provider's name in the deployment's configuration.
    provider TEXT NOT NULL,
    -- The value of the provider's identifying claim.
    subject TEXT NOT NULL,
    -- How it was linked: by the user with their password, by an administrator, or made at
    -- first sign-in where the deployment allows it.
    linked_how TEXT NOT NULL,
    linked_by BIGINT REFERENCES users(id),
    linked_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    -- Who the provider said it was when linked (an email or name), for the account's owner
    -- and administrators to recognise it.
    label TEXT NOT NULL DEFAULT '',
    -- When the identity's holder confirmed the account: at once when they linked it with
    -- their password or it was made at first sign-in; for an administrator's link, at its
    -- first sign-in, when they are shown the account and PCN and say it is theirs.
    confirmed_at TIMESTAMPTZ,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);
CREATE INDEX sign_in_identities_user ON sign_in_identities(user_id);

-- A sign-in sent to a provider and not yet back: the `state` (as a hash), the browser it
-- belongs to (a hash of a cookie it was given), the `nonce` and PKCE verifier. Taken once.
CREATE TABLE sign_in_attempts (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    -- Set when a signed-in user is linking their own identity (they gave their password).
    link_user_id BIGINT REFERENCES users(id),
    next TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_attempts_created ON sign_in_attempts(created_at);

-- How a session was signed in: NULL for a password, else the provider's name; and the id
-- token to hint the provider with at sign-out (RP-initiated logout).
ALTER TABLE sessions ADD COLUMN via TEXT;
ALTER TABLE sessions ADD COLUMN id_token_hint TEXT;
