-- Issue 22: the record a referral itself created, if it created one. A referrer sees the full
-- name and practice only of a record their referral made; a referral that joined a record
-- someone else made (matched, or merged into another record since) shows only what they typed.
-- Earlier referrals are filled from the times, which was how it was judged before.
ALTER TABLE referrals ADD COLUMN created_person_id INTEGER REFERENCES people(id);
UPDATE referrals SET created_person_id = person_id
WHERE EXISTS (SELECT 1 FROM people p WHERE p.id = referrals.person_id AND p.created_at >= referrals.received_at);
