-- Issue 25: a referral sent by another system keeps that system's identifier for it
-- (namespaced by the API client: "<client id> <system>|<value>"), so a retried POST with
-- If-None-Exist returns the referral already made instead of making a second, and the
-- same identifier cannot make two referrals in a PCN even when two retries race.
ALTER TABLE referrals ADD COLUMN source_identifier TEXT;
CREATE UNIQUE INDEX referrals_source_identifier ON referrals(pcn_id, source_identifier)
    WHERE source_identifier IS NOT NULL;
