-- (PostgreSQL) Managers' view: practice list sizes (for reach), link worker employment and ARRS
-- reimbursement, GP supervision, required training and care home tasks.

ALTER TABLE practices ADD COLUMN list_size BIGINT;

-- A link worker's employment: money in pence, WTE in thousandths.
CREATE TABLE employments (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    employer_kind TEXT NOT NULL,
    employer_name TEXT NOT NULL,
    wte_milli BIGINT NOT NULL CHECK (wte_milli BETWEEN 1 AND 1000),
    annual_salary_pence BIGINT NOT NULL CHECK (annual_salary_pence > 0),
    annual_oncosts_pence BIGINT NOT NULL CHECK (annual_oncosts_pence >= 0),
    subcontract_monthly_pence BIGINT NOT NULL DEFAULT 0 CHECK (subcontract_monthly_pence >= 0),
    afc_band TEXT NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX employments_pcn ON employments(pcn_id, user_id);

-- The maximum reimbursable amount a year for one WTE link worker, per financial year
-- (named by the year it starts). Data: admins add later years as they are published.
CREATE TABLE arrs_caps (
    fy_start BIGINT PRIMARY KEY,
    max_pence BIGINT NOT NULL CHECK (max_pence > 0),
    note TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ
);
INSERT INTO arrs_caps (fy_start, max_pence, note) VALUES
    (2019, 3411300, 'Network Contract DES'),
    (2020, 3538900, 'Network Contract DES'),
    (2022, 3642800, 'Network Contract DES');

CREATE TABLE supervision_sessions (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    link_worker_id BIGINT NOT NULL REFERENCES users(id),
    supervisor_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    held_on DATE NOT NULL,
    actions TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX supervision_worker ON supervision_sessions(pcn_id, link_worker_id, kind, held_on);

-- People whose cases were discussed: a link to the person, never a copy of their record.
CREATE TABLE supervision_cases (
    session_id BIGINT NOT NULL REFERENCES supervision_sessions(id),
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    PRIMARY KEY (session_id, person_id)
);

-- Training a link worker must have. pcn_id NULL: applies everywhere (seeded nationally).
CREATE TABLE training_requirements (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT REFERENCES pcns(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    renew_months BIGINT,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO training_requirements (pcn_id, name, kind, renew_months) VALUES
    (NULL, 'NHSE/I social prescribing link worker online learning programme', 'online_learning', NULL),
    (NULL, 'Personalised Care Institute training for link workers', 'pci', NULL),
    (NULL, 'Peer support network attendance', 'peer_support', 3);

CREATE TABLE training_records (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    requirement_id BIGINT NOT NULL REFERENCES training_requirements(id),
    completed_on DATE NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    recorded_by BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX training_records_user ON training_records(pcn_id, user_id, requirement_id);

CREATE TABLE care_home_tasks (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    care_home TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_on DATE NOT NULL,
    completed_on DATE,
    link_worker_id BIGINT REFERENCES users(id),
    details TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX care_home_tasks_pcn ON care_home_tasks(pcn_id, requested_on);

-- Reports read episodes by referral date and by close date.
CREATE INDEX episodes_referred ON episodes(pcn_id, referred_at);
CREATE INDEX episodes_closed ON episodes(pcn_id, closed_at);
CREATE INDEX connections_created ON connections(pcn_id, created_at);

-- When the person accepted support (kept after discharge, for acceptance rates).
ALTER TABLE episodes ADD COLUMN accepted_at TIMESTAMPTZ;
UPDATE episodes SET accepted_at = (
    SELECT MIN(ev.at) FROM episode_events ev
    WHERE ev.episode_id = episodes.id AND ev.kind = 'state' AND ev.summary LIKE '%→ Accepted%'
);
