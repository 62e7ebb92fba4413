-- The state an episode was closed from (declined, unable to contact, discharged), so that
-- a mistaken close can be undone within the reopening window and the episode goes back to
-- where it was.
ALTER TABLE episodes ADD COLUMN closed_from TEXT;
