-- Contacts with the person, per episode.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    at TEXT NOT NULL,
    contact_type TEXT NOT NULL,
    duration_minutes INTEGER,
    did_not_attend BOOLEAN NOT NULL,
    present TEXT NOT NULL,
    notes TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX contacts_episode ON contacts(pcn_id, episode_id, at);
CREATE INDEX contacts_person ON contacts(pcn_id, person_id, at);
