-- Contacts with the person, per episode.
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    pcn_id BIGINT NOT NULL REFERENCES pcns(id),
    episode_id BIGINT NOT NULL REFERENCES episodes(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    at TIMESTAMPTZ NOT NULL,
    contact_type TEXT NOT NULL,
    duration_minutes INTEGER,
    did_not_attend BOOLEAN NOT NULL,
    present TEXT NOT NULL,
    notes TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users(id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_episode ON contacts(pcn_id, episode_id, at);
CREATE INDEX contacts_person ON contacts(pcn_id, person_id, at);
