-- (PostgreSQL) Talking to other systems: API clients and their access tokens, GP-record coding
-- delivered to practices in batches, and the outbox of messages back to referrers.

CREATE TABLE api_clients (
    id BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    pcn_id BIGINT REFERENCES pcns(id),
    practice_id BIGINT REFERENCES practices(id),
    partner_org_id BIGINT REFERENCES partner_orgs(id),
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE api_client_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES api_clients(id),
    scopes TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_client_tokens_client ON api_client_tokens(client_id);

CREATE TABLE coding_batches (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    practice_id BIGINT NOT NULL REFERENCES practices(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    pulls BIGINT NOT NULL DEFAULT 1,
    last_pulled_at TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT
);
CREATE INDEX coding_batches_open ON coding_batches(pcn_id, practice_id, acknowledged_at);

ALTER TABLE coding_entries ADD COLUMN batch_id BIGINT REFERENCES coding_batches(id);
CREATE INDEX coding_entries_batch ON coding_entries(batch_id);

CREATE TABLE outbound_messages (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbound_messages_due ON outbound_messages(next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbound_messages_episode ON outbound_messages(pcn_id, episode_id);
