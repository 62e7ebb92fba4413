-- Issue 26: no deployment-wide lock on the audit path. A request's transaction adds its audit
-- entries here (durable when it commits, no lock taken); a sealer, one at a time under the
-- audit advisory lock, moves them in id order onto the hash chain in audit_log, giving each
-- its place (seq) and hash. Readers of the log seal first, so nothing committed is unseen.
CREATE TABLE audit_queue (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id BIGINT,
    actor_label TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    pcn_id BIGINT,
    detail TEXT NOT NULL
);
CREATE FUNCTION audit_queue_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'queued audit entries are not changed, only sealed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_queue_no_change BEFORE UPDATE ON audit_queue
    FOR EACH ROW EXECUTE FUNCTION audit_queue_no_update();
