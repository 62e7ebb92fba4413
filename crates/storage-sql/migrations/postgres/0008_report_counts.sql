-- Reports count contacts (issue 8). With the type and attendance in the indexes, the counts
-- are read from an index alone, without visiting every contact row:
-- each episode's attended and missed contacts,
CREATE INDEX contacts_attendance ON contacts(pcn_id, episode_id, did_not_attend);
-- and a PCN's contacts in a period, by type and attendance.
DROP INDEX contacts_at;
CREATE INDEX contacts_at ON contacts(pcn_id, at, contact_type, did_not_attend);
