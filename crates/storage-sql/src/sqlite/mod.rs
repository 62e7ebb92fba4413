//! SQLite storage: the embedded default. One file under the data directory, WAL journal,
//! foreign keys on, a busy timeout, and all writes through a single connection so
//! writers queue in-process instead of failing with "database is locked".

mod backup;
mod group_commit;
mod seam;
// The stores, written once and compiled for each engine (ADR 42): loading the one folder
// twice is the point, so clippy's warning against it does not apply here.
#[allow(clippy::duplicate_mod)]
#[path = "../store/mod.rs"]
mod store;

use seam::backend;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;
use storage::{Result, StorageError};

/// A Linkwork database in SQLite.
#[derive(Clone)]
pub struct SqliteStorage {
    /// Readers run in parallel (WAL).
    read: SqlitePool,
    /// One connection: writes are serialised here.
    write: SqlitePool,
    /// Audit entries recorded on their own, committed in groups (see `group_commit`).
    audit: group_commit::Queue,
}

/// The compile option that puts every connection's page cache behind one global lock
/// (`.cargo/config.toml` builds SQLite without it).
pub const SHARED_PAGE_CACHE: &str = "ENABLE_MEMORY_MANAGEMENT";
/// The compile option that turns off memory statistics and the global lock they take on
/// every allocation.
pub const NO_MEMORY_STATISTICS: &str = "DEFAULT_MEMSTATUS=0";

impl SqliteStorage {
    /// Opens (creating if missing) the database at a `sqlite://path` URL and runs migrations.
    #[tracing::instrument(skip_all)]
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, SqliteSynchronous::Full).await
    }

    /// Opens a throwaway database that never waits for the disk (`synchronous = OFF`): for
    /// generated data that is copied elsewhere and deleted, never for real records.
    pub async fn open_scratch(url: &str) -> Result<Self> {
        Self::open_with(url, SqliteSynchronous::Off).await
    }

    async fn open_with(url: &str, synchronous: SqliteSynchronous) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StorageError::Backend(format!("bad SQLite URL {url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // No ping before handing out a connection (sqlx's default): an embedded database
        // cannot hang up, and each ping is one more round trip to the connection's thread
        // for every statement run on the pool.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(opts.clone())
            .await
            .map_err(backend)?;
        let store = Self {
            read: write.clone(),
            audit: group_commit::start(write.clone()),
            write,
        };
        store.migrate().await?;
        // Table statistics for the query planner, refreshed where they are missing or stale
        // (SQLite bounds the work). Readers opened below plan with them.
        sqlx::query("PRAGMA optimize = 0x10002")
            .execute(&store.write)
            .await
            .map_err(backend)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts.read_only(true))
            .await
            .map_err(backend)?;
        let store = Self {
            read,
            write: store.write,
            audit: store.audit,
        };
        let options = store.compile_options().await?;
        if options.iter().any(|o| o == SHARED_PAGE_CACHE)
            || !options.iter().any(|o| o == NO_MEMORY_STATISTICS)
        {
            tracing::warn!(
                "SQLite was built with {SHARED_PAGE_CACHE} or without {NO_MEMORY_STATISTICS}: \
                 their global locks halve throughput under load. Build inside the repository \
                 so .cargo/config.toml applies (docs/deploy-postgres.md, docs/performance.md)."
            );
        }
        Ok(store)
    }

    /// The options the linked SQLite was compiled with (`PRAGMA compile_options`).
    pub async fn compile_options(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA compile_options")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(|(o,)| o).collect())
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it answers "ok".
    pub async fn integrity_check(&self) -> Result<()> {
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&self.write)
            .await
            .map_err(backend)?;
        match rows.first() {
            Some((s,)) if s == "ok" && rows.len() == 1 => Ok(()),
            _ => Err(StorageError::Backend(format!(
                "integrity check failed: {rows:?}"
            ))),
        }
    }
}

/// A table as the schema declares it, for tools that copy rows between databases.
#[derive(Debug, Clone)]
pub struct TableFacts {
    pub name: String,
    /// Column names in order, with whether each is declared BOOLEAN.
    pub columns: Vec<(String, bool)>,
    /// The integer primary key column, if the table has one.
    pub key: Option<String>,
    /// (column, referenced table) for each foreign key.
    pub foreign_keys: Vec<(String, String)>,
}

impl SqliteStorage {
    /// Every table's columns, key and foreign keys.
    pub async fn table_facts(&self) -> Result<Vec<TableFacts>> {
        let mut conn = self.read.acquire().await.map_err(backend)?;
        table_facts(&mut conn).await
    }
}

/// Every table's columns, key and foreign keys, read on one connection (a backup reads them
/// inside its snapshot).
pub(crate) async fn table_facts(conn: &mut sqlx::SqliteConnection) -> Result<Vec<TableFacts>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let mut out = Vec::new();
    for name in names {
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend)?;
        let key = match cols.iter().filter(|c| c.2 > 0).collect::<Vec<_>>()[..] {
            [(col, ty, _)] if ty.eq_ignore_ascii_case("INTEGER") => Some(col.clone()),
            _ => None,
        };
        let foreign_keys: Vec<(String, String)> =
            sqlx::query_as("SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?)")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend)?;
        out.push(TableFacts {
            columns: cols
                .into_iter()
                .map(|(c, ty, _)| (c, ty.eq_ignore_ascii_case("BOOLEAN")))
                .collect(),
            name,
            key,
            foreign_keys,
        });
    }
    Ok(out)
}
