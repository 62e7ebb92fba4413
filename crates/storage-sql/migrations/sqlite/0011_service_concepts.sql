-- Issue 21: a manager's or the partner's review of what Linkwork read from one listing.
-- `concept` is a concept id from crates/directory/vocabulary.toml; `verdict` is 'confirmed'
-- (the listing is this, whether or not its words say so) or 'rejected' (it is not, whatever
-- its words say). Concepts with no row are suggestions read from the listing's words.
CREATE TABLE dir_service_concepts (
    service_id TEXT NOT NULL,
    concept TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    PRIMARY KEY (service_id, concept)
);
