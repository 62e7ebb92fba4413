-- Issue 23: referrals from agencies without a Linkwork account (police, housing, fire, job
-- centres). The referrer's work email is confirmed by a one-time link before the referral
-- reaches triage; until then what they sent waits here (hours, not days): the token is
-- kept only as its SHA-256, and what they sent is blanked once confirmed or expired.
CREATE TABLE pending_referrals (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    token_hash TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL,
    email TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ
);
-- The work email domains a PCN accepts from referrers without an account ("nhs.net",
-- "*.gov.uk", one per line); empty accepts any.
ALTER TABLE pcns ADD COLUMN referrer_domains TEXT NOT NULL DEFAULT '';
