//! What the shared stores (`crate::store`) compile against on PostgreSQL; see `store/mod.rs`
//! for the list. Each item says in one line why PostgreSQL's differs.

use super::PgStorage;
use storage::{AuditEntry, Result, StorageError};

pub(crate) type Db = sqlx::Postgres;
pub(crate) type DbConn = sqlx::PgConnection;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type Store = PgStorage;

/// How one row of a table without a key is named in a statement: the tuple's physical address: the table has no key of its own, and a row is deleted within one statement.
pub(crate) const ROW_ID: &str = "ctid";

/// The name `storage::Engine` reports.
pub(crate) const NAME: &str = "postgres";

/// Each engine's own migrations: the schemas differ in types, triggers and indexes.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Backup in each engine's own JSON functions and catalogue (the format is shared).
pub(super) use super::backup;

pub(crate) fn backend(e: sqlx::Error) -> StorageError {
    crate::storage_error(e, "postgres")
}

/// Into the queue, with no lock: requests on every node append at once, and the sealer puts
/// queued entries on the chain (ADR 57).
pub(crate) const QUEUE_AUDIT: bool = true;

/// A transaction-scoped advisory lock, taken only by the sealer (never by a request's
/// transaction): one sealer at a time extends the chain, until it commits or rolls back.
pub(crate) async fn hold_audit_chain(conn: &mut DbConn) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(7411)")
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// A transaction-scoped advisory lock on the one key (not a global one), because nodes
/// taking a use of the same limit at once must count one after the other.
pub(crate) async fn hold_limit_key(conn: &mut DbConn, key_hash: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(7412, hashtext($1))")
        .bind(key_hash)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Its own transaction: the server takes concurrent commits, so there is nothing to group.
pub(crate) async fn append_audit_alone(store: &Store, entry: &AuditEntry) -> Result<()> {
    let mut tx = store.write.begin().await.map_err(backend)?;
    super::store::append_audit(&mut tx, entry).await?;
    tx.commit().await.map_err(backend)
}

/// REPEATABLE READ, because PostgreSQL's default READ COMMITTED gives each statement of a
/// report its own snapshot.
pub(crate) const SNAPSHOT_SQL: Option<&str> =
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

/// No hint: PostgreSQL's planner picks the worker index from its statistics.
pub(crate) const CASELOAD_OF_WORKER: &str = "FROM episodes e JOIN";
