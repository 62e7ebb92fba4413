-- (PostgreSQL) The link worker's journey after first contact: GP-record coding, episode records
-- (assessments, plans, outcome measures, safeguarding, referral back, health service use,
-- discharge summaries) and closed-loop connections to community services.

-- SNOMED CT concepts Linkwork asks practices to record, and what queues each one.
-- Data, not code: admins add concepts (e.g. "social prescribing offered") without a release.
CREATE TABLE coding_catalogue (
    concept_id TEXT PRIMARY KEY,
    term TEXT NOT NULL,
    queued_on TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO coding_catalogue (concept_id, term, queued_on, active) VALUES
    ('871731000000106', 'Referral to social prescribing service', 'accepted', TRUE),
    ('871711000000103', 'Social prescribing declined', 'declined', TRUE);

-- One row per code per episode: queued, then marked recorded in the GP record.
CREATE TABLE coding_entries (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    practice_id BIGINT REFERENCES practices(id),
    concept_id TEXT NOT NULL REFERENCES coding_catalogue(concept_id),
    status TEXT NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ,
    recorded_by BIGINT REFERENCES users(id),
    UNIQUE (episode_id, concept_id)
);
CREATE INDEX coding_entries_practice ON coding_entries(pcn_id, practice_id, status);
CREATE INDEX coding_entries_person ON coding_entries(pcn_id, person_id);

-- Versioned documents held against an episode; `body` is the domain type as JSON.
CREATE TABLE episode_records (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    due_at TIMESTAMPTZ,
    assigned_to BIGINT REFERENCES users(id),
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX episode_records_person ON episode_records(pcn_id, person_id, kind, created_at);
CREATE INDEX episode_records_open ON episode_records(pcn_id, kind, status);

-- Signposts and referrals to community services. A referral carries only the snapshot
-- of details the person agreed to share (`shared`); the partner sees nothing else.
CREATE TABLE connections (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    service_id TEXT NOT NULL,
    service_name TEXT NOT NULL,
    organization_name TEXT NOT NULL,
    partner_org_id BIGINT REFERENCES partner_orgs(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    note TEXT NOT NULL DEFAULT '',
    consent_at TIMESTAMPTZ,
    shared TEXT NOT NULL DEFAULT '{}',
    due_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    reminded_at TIMESTAMPTZ,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (kind <> 'referral' OR consent_at IS NOT NULL)
);
CREATE INDEX connections_person ON connections(pcn_id, person_id);
CREATE INDEX connections_partner ON connections(partner_org_id, status);
CREATE INDEX connections_open ON connections(pcn_id, kind, status, due_at);
