-- Every node's outbox asks every 30 seconds for the contacts booked tomorrow
-- (`contacts_to_remind`); without an index that read every episode of every PCN. Only open
-- episodes are reminded, so only theirs are indexed.
CREATE INDEX episodes_next_contact ON episodes(next_contact_at) WHERE closed_at IS NULL;
