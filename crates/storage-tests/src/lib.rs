//! The storage conformance suite, written once and run against every engine, and the
//! throwaway PostgreSQL cluster that tests start for themselves.

// Test support: a failed setup step should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod pg;
pub mod suite;

use std::sync::Arc;
use storage::Storage;

/// Runs each named `async fn(Arc<dyn Storage>)` of the calling test file as two tests: on
/// SQLite (`sqlite::name`) and on a throwaway PostgreSQL cluster (`postgres::name`).
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (s, _dir) = $crate::sqlite().await;
                    super::$name(s).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::pg::skip_requested() {
                        eprintln!("PostgreSQL half skipped by LINKWORK_TEST_SKIP_POSTGRES=1");
                        return;
                    }
                    let s = $crate::postgres().await;
                    super::$name(s).await;
                }
            )+
        }
    };
}

/// Prints a figure a test measured (matrix size, payloads tried, crash rounds …) and, when
/// `LINKWORK_TEST_FIGURES` names a file, appends it there so `scripts/test` can show them all
/// after the run without running anything twice.
pub fn figure(line: &str) {
    use std::io::Write;
    println!("{line}");
    if let Some(path) = std::env::var_os("LINKWORK_TEST_FIGURES") {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            panic!("could not record a test figure in {path:?}: {e}");
        }
    }
}

/// A fresh, migrated SQLite database in its own temporary directory.
pub async fn sqlite() -> (Arc<dyn Storage>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let s = storage_sql::SqliteStorage::open(&url)
        .await
        .expect("open sqlite");
    (Arc::new(s), dir)
}

/// A fresh, migrated database on the test PostgreSQL server.
pub async fn postgres() -> Arc<dyn Storage> {
    let url = pg::fresh_database().await;
    Arc::new(
        storage_sql::PgStorage::open(&url, 8)
            .await
            .expect("open postgres"),
    )
}
