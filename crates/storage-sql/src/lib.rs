//! Linkwork storage in SQL: every store of the `storage` traits written once and compiled for
//! two engines (ADR 42).
//!
//! - [`sqlite`]: the embedded default, one file under the data directory.
//! - [`postgres`]: for deployments that outgrow one machine (several nodes, one primary).
//!
//! `store/` holds the stores, written once in plain sqlx and SQL; each engine mounts it as its
//! own `store` module and supplies a small `seam` module of the few things that truly differ
//! (see `store/mod.rs`). What stays per engine is connecting and pool settings, migrations
//! (`migrations/sqlite`, `migrations/postgres`, append-only), SQLite's single writer and audit
//! group commit, and backup.

pub mod postgres;
pub mod sqlite;
#[cfg(test)]
mod tests;

pub use postgres::PgStorage;
pub use sqlite::{SqliteStorage, TableFacts, NO_MEMORY_STATISTICS, SHARED_PAGE_CACHE};

use storage::StorageError;

/// Turns a sqlx error into the storage error callers act on: a unique key already taken is
/// `Duplicate`, a missing row `NotFound`, anything else `Backend` (and logged).
/// Whether the error means the database could not be reached (a connection refused, reset or
/// lost; no connection free in time; the server shutting down or starting), not that the
/// request was wrong. A protocol error stays a backend error (a bug to see, not an outage).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            // SQLSTATE class 08: connection exception (but 08P01, a protocol violation, is a
            // bug, not an outage); 57P01–57P03: admin or crash shutdown, starting up.
            (c.starts_with("08") && c != "08P01")
                || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

fn storage_error(e: sqlx::Error, engine: &str) -> StorageError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StorageError::Duplicate(db.message().to_string());
        }
    }
    if matches!(e, sqlx::Error::RowNotFound) {
        return StorageError::NotFound;
    }
    if unreachable(&e) {
        tracing::warn!(error = %e, "{engine} unavailable");
        return StorageError::Unavailable(e.to_string());
    }
    tracing::error!(error = %e, "{engine} error");
    StorageError::Backend(e.to_string())
}
