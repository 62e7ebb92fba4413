//! PostgreSQL storage: for deployments that outgrow one machine. Several stateless
//! `linkwork serve` nodes share one primary; every write is a transaction, and the audit
//! chain is kept linear with a transaction-scoped advisory lock.

mod audit;
mod backup;
mod contacts;
mod directory;
mod episodes;
mod interop;
mod journey;
mod orgs;
mod ownership;
mod people;
mod reports;
mod rows;
mod users;
mod workforce;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;
use storage::{Result, StorageError};

/// Names the shared engine code (`crates/storage/engine/`) compiles against.
pub(crate) type Store = PgStorage;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type DbConn = sqlx::PgConnection;
/// Run first in a report's read transaction so every query sees one snapshot.
pub(crate) const SNAPSHOT_SQL: Option<&str> =
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

/// A Linkwork database in PostgreSQL.
#[derive(Clone)]
pub struct PgStorage {
    read: PgPool,
    write: PgPool,
}

impl PgStorage {
    /// Connects to a `postgres://` URL and runs migrations.
    #[tracing::instrument(skip_all)]
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StorageError::Backend(format!("bad PostgreSQL URL: {e}")))?
            .application_name("linkwork");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(backend)?;
        let store = Self {
            read: pool.clone(),
            write: pool,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any migrations not yet applied. Returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let migrator = sqlx::migrate!("./migrations");
        let before = applied(&self.write).await;
        migrator
            .run(&self.write)
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        Ok(applied(&self.write).await.saturating_sub(before))
    }
}

async fn applied(pool: &PgPool) -> usize {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map(|n| n as usize)
        .unwrap_or(0)
}

pub(crate) fn backend(e: sqlx::Error) -> StorageError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StorageError::Duplicate(db.message().to_string());
        }
    }
    if matches!(e, sqlx::Error::RowNotFound) {
        return StorageError::NotFound;
    }
    tracing::error!(error = %e, "postgres error");
    StorageError::Backend(e.to_string())
}

#[async_trait]
impl storage::Engine for PgStorage {
    fn engine_name(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<i64> {
        backup::schema_version(&self.read).await
    }

    async fn dump(&self, sink: &mut (dyn storage::backup::DumpSink + Send)) -> Result<()> {
        backup::dump(&self.read, sink).await
    }

    async fn restore(
        &self,
        source: &mut (dyn storage::backup::RestoreSource + Send),
    ) -> Result<u64> {
        backup::restore(&self.write, source).await
    }
}
