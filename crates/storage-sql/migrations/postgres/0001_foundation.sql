-- Linkwork foundation schema (PostgreSQL). Migrations are append-only: never edit a released one.

CREATE TABLE pcns (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    ods_code TEXT NOT NULL UNIQUE
);

CREATE TABLE practices (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    name TEXT NOT NULL,
    ods_code TEXT NOT NULL UNIQUE
);
CREATE INDEX practices_pcn ON practices(pcn_id);

CREATE TABLE partner_orgs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    pcn_id BIGINT REFERENCES pcns(id),
    partner_org_id BIGINT REFERENCES partner_orgs(id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_pcn ON users(pcn_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    nhs_number TEXT,
    sex TEXT NOT NULL,
    gender_identity TEXT NOT NULL DEFAULT '',
    ethnicity TEXT,
    language TEXT NOT NULL DEFAULT '',
    interpreter_needed BOOLEAN NOT NULL DEFAULT FALSE,
    access_needs TEXT NOT NULL DEFAULT '',
    access_notes TEXT NOT NULL DEFAULT '',
    carer_status TEXT NOT NULL,
    carer_details TEXT NOT NULL DEFAULT '',
    practice_id BIGINT REFERENCES practices(id),
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT,
    postcode_outward TEXT,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    preferred_contact TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX people_pcn_nhs ON people(pcn_id, nhs_number);
CREATE INDEX people_pcn_dob ON people(pcn_id, date_of_birth);
CREATE INDEX people_pcn_family ON people(pcn_id, family_name);
CREATE INDEX people_pcn_postcode ON people(pcn_id, postcode_outward);

CREATE TABLE referrals (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    source TEXT NOT NULL,
    referrer_name TEXT NOT NULL,
    referrer_role TEXT NOT NULL,
    referrer_organisation TEXT NOT NULL,
    referrer_contact TEXT NOT NULL,
    needs TEXT NOT NULL,
    reason TEXT NOT NULL,
    urgency TEXT NOT NULL,
    consent BOOLEAN NOT NULL CHECK (consent),
    created_by BIGINT REFERENCES users(id),
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX referrals_person ON referrals(pcn_id, person_id);
CREATE INDEX referrals_creator ON referrals(pcn_id, created_by);

CREATE TABLE episodes (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    referral_id BIGINT NOT NULL REFERENCES referrals(id),
    state TEXT NOT NULL,
    link_worker_id BIGINT REFERENCES users(id),
    referred_at TIMESTAMPTZ NOT NULL,
    assigned_at TIMESTAMPTZ,
    first_contact_at TIMESTAMPTZ,
    last_contact_at TIMESTAMPTZ,
    next_contact_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    discharge_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX episodes_worker ON episodes(pcn_id, link_worker_id, state);
CREATE INDEX episodes_person ON episodes(pcn_id, person_id);
CREATE INDEX episodes_queue ON episodes(pcn_id, referred_at) WHERE link_worker_id IS NULL;

CREATE TABLE episode_events (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    actor_label TEXT NOT NULL
);
CREATE INDEX episode_events_person ON episode_events(pcn_id, person_id, at);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id BIGINT,
    actor_label TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    pcn_id BIGINT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_pcn ON audit_log(pcn_id, seq);
CREATE INDEX audit_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
