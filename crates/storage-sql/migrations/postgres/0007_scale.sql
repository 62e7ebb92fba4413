-- Indexes for ICB and national scale (issue 8). Each page's queries find their rows by an
-- index that also gives the order they are shown in, so no plan has to choose between
-- filtering and sorting, and none scans a PCN's whole history.

-- The latest record of a kind for an episode (plan reviews due on Today, the person page).
CREATE INDEX IF NOT EXISTS episode_records_episode ON episode_records(episode_id, kind);

-- A person's referrals, episodes and connections, newest first.
DROP INDEX referrals_person;
CREATE INDEX referrals_person ON referrals(pcn_id, person_id, received_at);
DROP INDEX episodes_person;
CREATE INDEX episodes_person ON episodes(pcn_id, person_id, referred_at);
DROP INDEX connections_person;
CREATE INDEX connections_person ON connections(pcn_id, person_id, created_at);

-- A link worker's caseload: their open episodes, oldest referral first.
DROP INDEX episodes_worker;
CREATE INDEX episodes_worker ON episodes(pcn_id, link_worker_id, state, referred_at);

-- Reports: a PCN's contacts in a period.
CREATE INDEX contacts_at ON contacts(pcn_id, at);
