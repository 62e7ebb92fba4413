-- Issue 22: two records for one person, merged by a manager. The merged record is kept
-- (soft-deleted, pointing at the record it went into) and every row that moved is listed,
-- so the merge can be undone exactly: `moved` holds one line per table, "table=1,2,3"
-- (for supervision_cases the ids are session ids).
ALTER TABLE people ADD COLUMN merged_into INTEGER REFERENCES people(id);
CREATE TABLE person_merges (
    id INTEGER PRIMARY KEY,
    pcn_id INTEGER NOT NULL REFERENCES pcns(id),
    kept_id INTEGER NOT NULL REFERENCES people(id),
    merged_id INTEGER NOT NULL REFERENCES people(id),
    moved TEXT NOT NULL,
    reason TEXT NOT NULL,
    merged_by INTEGER REFERENCES users(id),
    merged_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by INTEGER REFERENCES users(id),
    undo_reason TEXT
);
CREATE INDEX person_merges_kept ON person_merges(pcn_id, kept_id);
CREATE INDEX person_merges_merged ON person_merges(pcn_id, merged_id);
