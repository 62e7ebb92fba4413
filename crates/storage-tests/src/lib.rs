//! The storage conformance suite, written once and run against every engine, and the
//! throwaway PostgreSQL cluster that tests start for themselves.

// Test support: a failed setup step should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod pg;
pub mod suite;

use std::sync::Arc;
use storage::Storage;

/// A fresh, migrated SQLite database in its own temporary directory.
pub async fn sqlite() -> (Arc<dyn Storage>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let s = storage_sqlite::SqliteStorage::open(&url)
        .await
        .expect("open sqlite");
    (Arc::new(s), dir)
}

/// A fresh, migrated database on the test PostgreSQL server.
pub async fn postgres() -> Arc<dyn Storage> {
    let url = pg::fresh_database().await;
    Arc::new(
        storage_postgres::PgStorage::open(&url, 8)
            .await
            .expect("open postgres"),
    )
}
