-- Issue 23: the person's own plan. A link worker gives the person a plan code (in a link by
-- text or email, or printed); the person proves it is them with a one-time code sent to the
-- phone or email on their record and their date of birth, and gets a short session that
-- shows their plan and nothing else. Codes, one-time codes and sessions are kept only as
-- SHA-256 hashes.
CREATE TABLE plan_links (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    code_hash TEXT NOT NULL UNIQUE,
    -- How the code reached them: sms, email or print.
    sent_by TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by INTEGER REFERENCES users(id),
    -- The one-time code waiting to be typed (at most one), where it went, until when.
    otp_hash TEXT,
    otp_channel TEXT,
    otp_expires_at TEXT,
    otp_sent_at TEXT,
    -- Wrong one-time codes or dates of birth since the last success; locked at 5.
    failures INTEGER NOT NULL DEFAULT 0,
    last_used_at TEXT
);
CREATE INDEX plan_links_person ON plan_links(pcn_id, person_id);

-- A signed-in person. `via` says how they proved who they are ('code' today; NHS login
-- would add 'nhs-login' with no plan link).
CREATE TABLE person_sessions (
    id_hash TEXT PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    link_id INTEGER REFERENCES plan_links(id),
    via TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX person_sessions_person ON person_sessions(pcn_id, person_id);

-- "Please call me", asked from their plan; open until a link worker marks it done.
CREATE TABLE call_requests (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    episode_id INTEGER REFERENCES episodes(id),
    best_time TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT,
    done_by INTEGER REFERENCES users(id)
);
CREATE INDEX call_requests_open ON call_requests(pcn_id, done_at);

-- What the person says about a service they were connected to: went or did-not-go.
ALTER TABLE connections ADD COLUMN person_said TEXT;
ALTER TABLE connections ADD COLUMN person_said_at TEXT;
