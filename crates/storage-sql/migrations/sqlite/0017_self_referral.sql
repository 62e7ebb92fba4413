-- Issue 23: the person's own door.
-- Whether it is safe to leave the person a voicemail, and whether they agree to texts
-- (NULL: not asked). A self-referral asks both; staff record them on the person's form.
ALTER TABLE people ADD COLUMN voicemail_ok INTEGER;
ALTER TABLE people ADD COLUMN texts_ok INTEGER;
-- The reference a person is given when they refer themselves (so they can quote it when
-- they call); NULL for referrals made by staff.
ALTER TABLE referrals ADD COLUMN reference TEXT;
CREATE UNIQUE INDEX referrals_reference ON referrals (reference);
-- A practice's postcode, so a person can find their practice by postcode.
ALTER TABLE practices ADD COLUMN postcode TEXT;
