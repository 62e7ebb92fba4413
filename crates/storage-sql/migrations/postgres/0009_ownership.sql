-- (PostgreSQL) Ownership of what the PCNs of one deployment share (issue 19,
-- docs/security.md).
--
-- A PCN refers people to a partner organisation through Linkwork only while both sides hold
-- the relationship: the PCN's manager asks (pcn_agreed_at), the partner accepts
-- (partner_agreed_at). Either side may end it (its time goes back to NULL). A partner sees a
-- referral only while the relationship with the referring PCN is held by both.
CREATE TABLE pcn_partners (
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    partner_org_id BIGINT NOT NULL REFERENCES partner_orgs(id),
    pcn_agreed_at TIMESTAMPTZ,
    pcn_agreed_by TEXT,
    partner_agreed_at TIMESTAMPTZ,
    partner_agreed_by TEXT,
    PRIMARY KEY (pcn_id, partner_org_id)
);
CREATE INDEX pcn_partners_partner ON pcn_partners(partner_org_id, pcn_id);

-- Today's data moves into the model: a PCN that has referred to a partner, or whose
-- administrator made a partner's account, holds the relationship on both sides, so no
-- partner loses a referral it could see before.
INSERT INTO pcn_partners (pcn_id, partner_org_id, pcn_agreed_at, pcn_agreed_by, partner_agreed_at, partner_agreed_by)
SELECT pcn_id, partner_org_id, now(), 'migration 0009', now(), 'migration 0009'
FROM (
    SELECT DISTINCT pcn_id, partner_org_id FROM connections WHERE partner_org_id IS NOT NULL
    UNION
    SELECT DISTINCT pcn_id, partner_org_id FROM users
     WHERE role = 'partner' AND pcn_id IS NOT NULL AND partner_org_id IS NOT NULL
) AS held;

-- Partners' accounts and systems belong to their organisation, not to a PCN: the
-- deployment operator manages them from now on.
UPDATE users SET pcn_id = NULL WHERE role = 'partner';
UPDATE api_clients SET pcn_id = NULL, practice_id = NULL WHERE kind = 'partner';

-- Any PCN's administrator could make them until now, so none is trusted until the operator has
-- checked it: partner accounts are disabled (their sessions and personal tokens end; the
-- operator enables each one they confirm under Users) and partner systems' API clients are
-- revoked (the operator registers them again). Their data and history stay.
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'partner');
UPDATE api_tokens SET revoked_at = now()
 WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE role = 'partner');
UPDATE users SET disabled = TRUE WHERE role = 'partner';
UPDATE api_clients SET revoked_at = now() WHERE kind = 'partner' AND revoked_at IS NULL;

-- Need-to-know (break-glass): a link worker opening a person who is not theirs (no episode of
-- theirs or waiting in triage, no record they added) says why first. The reason is audited
-- and lets them in for a while.
CREATE TABLE access_reasons (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_reasons_user ON access_reasons(pcn_id, user_id, person_id, expires_at);
