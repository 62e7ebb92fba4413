//! What the shared stores (`crate::store`) compile against on SQLite; see `store/mod.rs` for
//! the list. Each item says in one line why SQLite's differs.

use super::{group_commit, SqliteStorage};
use storage::{AuditEntry, Result, StorageError};

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type DbConn = sqlx::SqliteConnection;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type Store = SqliteStorage;

/// How one row of a table without a key is named in a statement: SQLite's own row number: the table has no key of its own.
pub(crate) const ROW_ID: &str = "rowid";

/// The name `storage::Engine` reports.
pub(crate) const NAME: &str = "sqlite";

/// Each engine's own migrations: the schemas differ in types, triggers and indexes.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Backup in each engine's own JSON functions and catalogue (the format is shared).
pub(super) use super::backup;

pub(crate) fn backend(e: sqlx::Error) -> StorageError {
    crate::storage_error(e, "sqlite")
}

/// Straight onto the chain: the one writer makes appends one at a time anyway.
pub(crate) const QUEUE_AUDIT: bool = false;

/// Nothing to take: every write goes through one connection, so the chain cannot fork.
pub(crate) async fn hold_audit_chain(_conn: &mut DbConn) -> Result<()> {
    Ok(())
}

/// Nothing to take: one writer, so counting and adding a limit's use cannot interleave.
pub(crate) async fn hold_limit_key(_conn: &mut DbConn, _key_hash: &str) -> Result<()> {
    Ok(())
}

/// An entry recorded on its own (most are reads) joins the next group commit, because each
/// SQLite commit waits for the disk and the one writer would otherwise queue every read.
pub(crate) async fn append_audit_alone(store: &Store, entry: &AuditEntry) -> Result<()> {
    group_commit::append(&store.audit, entry).await
}

/// None: WAL already gives a read transaction one snapshot from its first read.
pub(crate) const SNAPSHOT_SQL: Option<&str> = None;

/// With the hint: without it SQLite walks the whole PCN's episodes in referral order to
/// save sorting one worker's few hundred.
pub(crate) const CASELOAD_OF_WORKER: &str = "FROM episodes e INDEXED BY episodes_worker JOIN";
