-- Every person page and match page asks whether the signed-in link worker may see the
-- person (`person_is_theirs`), and one way is "they created the record". At ICB scale that
-- part took about 2 ms a page on SQLite (sqlx's statement log: 1.9 ms at the median, against
-- 0.1 ms with this index). Creations are one audit entry per person: indexed on their own.
CREATE INDEX audit_person_created ON audit_log(entity_id, actor_id)
    WHERE entity = 'person' AND action = 'person.create';
