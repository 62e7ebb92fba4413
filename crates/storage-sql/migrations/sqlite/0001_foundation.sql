-- Linkwork foundation schema (SQLite). Migrations are append-only: never edit a released one.

CREATE TABLE pcns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    ods_code TEXT NOT NULL UNIQUE
);

CREATE TABLE practices (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    name TEXT NOT NULL,
    ods_code TEXT NOT NULL UNIQUE
);
CREATE INDEX practices_pcn ON practices(pcn_id);

CREATE TABLE partner_orgs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    pcn_id INTEGER REFERENCES pcns(id),
    partner_org_id INTEGER REFERENCES partner_orgs(id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX users_pcn ON users(pcn_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    nhs_number TEXT,
    sex TEXT NOT NULL,
    gender_identity TEXT NOT NULL DEFAULT '',
    ethnicity TEXT,
    language TEXT NOT NULL DEFAULT '',
    interpreter_needed BOOLEAN NOT NULL DEFAULT 0,
    access_needs TEXT NOT NULL DEFAULT '',
    access_notes TEXT NOT NULL DEFAULT '',
    carer_status TEXT NOT NULL,
    carer_details TEXT NOT NULL DEFAULT '',
    practice_id INTEGER REFERENCES practices(id),
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT,
    postcode_outward TEXT,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    preferred_contact TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX people_pcn_nhs ON people(pcn_id, nhs_number);
CREATE INDEX people_pcn_dob ON people(pcn_id, date_of_birth);
CREATE INDEX people_pcn_family ON people(pcn_id, family_name);
CREATE INDEX people_pcn_postcode ON people(pcn_id, postcode_outward);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    source TEXT NOT NULL,
    referrer_name TEXT NOT NULL,
    referrer_role TEXT NOT NULL,
    referrer_organisation TEXT NOT NULL,
    referrer_contact TEXT NOT NULL,
    needs TEXT NOT NULL,
    reason TEXT NOT NULL,
    urgency TEXT NOT NULL,
    consent BOOLEAN NOT NULL CHECK (consent),
    created_by INTEGER REFERENCES users(id),
    received_at TEXT NOT NULL
);
CREATE INDEX referrals_person ON referrals(pcn_id, person_id);
CREATE INDEX referrals_creator ON referrals(pcn_id, created_by);

CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    referral_id INTEGER NOT NULL REFERENCES referrals(id),
    state TEXT NOT NULL,
    link_worker_id INTEGER REFERENCES users(id),
    referred_at TEXT NOT NULL,
    assigned_at TEXT,
    first_contact_at TEXT,
    last_contact_at TEXT,
    next_contact_at TEXT,
    closed_at TEXT,
    discharge_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX episodes_worker ON episodes(pcn_id, link_worker_id, state);
CREATE INDEX episodes_person ON episodes(pcn_id, person_id);
CREATE INDEX episodes_queue ON episodes(pcn_id, referred_at) WHERE link_worker_id IS NULL;

CREATE TABLE episode_events (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    actor_label TEXT NOT NULL
);
CREATE INDEX episode_events_person ON episode_events(pcn_id, person_id, at);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    pcn_id INTEGER,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_pcn ON audit_log(pcn_id, seq);
CREATE INDEX audit_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
