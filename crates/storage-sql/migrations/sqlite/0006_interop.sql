-- Talking to other systems: API clients and their access tokens, GP-record coding
-- delivered to practices in batches, and the outbox of messages back to referrers.

CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    pcn_id INTEGER REFERENCES pcns(id),
    practice_id INTEGER REFERENCES practices(id),
    partner_org_id INTEGER REFERENCES partner_orgs(id),
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE api_client_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES api_clients(id),
    scopes TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX api_client_tokens_client ON api_client_tokens(client_id);

CREATE TABLE coding_batches (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    practice_id INTEGER NOT NULL REFERENCES practices(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    pulls INTEGER NOT NULL DEFAULT 1,
    last_pulled_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT
);
CREATE INDEX coding_batches_open ON coding_batches(pcn_id, practice_id, acknowledged_at);

ALTER TABLE coding_entries ADD COLUMN batch_id INTEGER REFERENCES coding_batches(id);
CREATE INDEX coding_entries_batch ON coding_entries(batch_id);

CREATE TABLE outbound_messages (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    sent_at TEXT
);
CREATE INDEX outbound_messages_due ON outbound_messages(next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbound_messages_episode ON outbound_messages(pcn_id, episode_id);
