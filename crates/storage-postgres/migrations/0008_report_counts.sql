-- Reports count each episode's attended and missed contacts (issue 8). With attendance in
-- the index the counts are read from the index alone, without visiting every contact row.
CREATE INDEX contacts_attendance ON contacts(pcn_id, episode_id, did_not_attend);
