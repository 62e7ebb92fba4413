-- Issue 26: the audit queue PostgreSQL's nodes append to without a lock (see the PostgreSQL
-- migration). SQLite has one writer, which extends the chain directly, so this stays empty;
-- it exists so that both engines have the same tables (one backup format) and the same reads.
CREATE TABLE audit_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    pcn_id INTEGER,
    detail TEXT NOT NULL
);
CREATE TRIGGER audit_queue_no_update BEFORE UPDATE ON audit_queue
BEGIN SELECT RAISE(ABORT, 'queued audit entries are not changed, only sealed'); END;
