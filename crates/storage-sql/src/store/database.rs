//! The database as a whole: migrations, the health check and backup, each through the
//! engine's seam.

use super::engine::{self, backend, Store};
use async_trait::async_trait;
use storage::backup::{DumpSink, RestoreSource};
use storage::{Result, StorageError};

impl Store {
    /// Applies any migrations not yet applied. Returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.migrations_applied().await;
        engine::MIGRATOR
            .run(&self.write)
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        Ok(self.migrations_applied().await.saturating_sub(before))
    }

    /// How many migrations have run (none before the ledger exists).
    async fn migrations_applied(&self) -> usize {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.write)
            .await
            .map(|n| n as usize)
            .unwrap_or(0)
    }
}

#[async_trait]
impl storage::Engine for Store {
    fn engine_name(&self) -> &'static str {
        engine::NAME
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<i64> {
        engine::backup::schema_version(&self.read).await
    }

    async fn dump(&self, sink: &mut (dyn DumpSink + Send)) -> Result<()> {
        // Queued audit entries onto the chain first, so a backup of a quiet database holds
        // the whole chain (anything queued while it runs is kept in the queue's rows).
        super::audit::seal(self).await?;
        engine::backup::dump(&self.read, sink).await
    }

    async fn restore(&self, source: &mut (dyn RestoreSource + Send)) -> Result<u64> {
        engine::backup::restore(&self.write, source).await
    }
}
