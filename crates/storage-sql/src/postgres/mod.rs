//! PostgreSQL storage: for deployments that outgrow one machine. Several stateless
//! `linkwork serve` nodes share one primary; every write is a transaction, and the audit
//! chain is kept linear with a transaction-scoped advisory lock.

mod backup;
mod seam;
// The stores, written once and compiled for each engine (ADR 42): loading the one folder
// twice is the point, so clippy's warning against it does not apply here.
#[allow(clippy::duplicate_mod)]
#[path = "../store/mod.rs"]
mod store;

use seam::backend;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;
use storage::{Result, StorageError};

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
}
