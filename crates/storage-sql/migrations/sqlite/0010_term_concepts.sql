-- Issue 21: a manager's mapping of another publisher's taxonomy term to Linkwork's vocabulary
-- concepts, used for the whole directory instead of reading the term's name. `concepts` is a
-- comma-separated list of concept ids from crates/directory/vocabulary.toml (empty: the term
-- says nothing Linkwork uses).
CREATE TABLE dir_term_concepts (
    term_id TEXT PRIMARY KEY,
    concepts TEXT NOT NULL
);
