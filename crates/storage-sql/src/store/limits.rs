//! Limits shared by every node: each use is a row of `limit_hits`, counted by key hash and
//! time. Rows older than a day (longer than any limit's window) go: a key's own as it is
//! counted again, everyone's in [`LimitStore::limit_prune`] (each node, every minute), so
//! requests counting different keys never touch the same rows.

use super::engine::{backend, hold_limit_key, DbConn, Store, ROW_ID};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use storage::{LimitStore, Result};

/// How long a use is kept: longer than any limit's window.
fn keep() -> Duration {
    Duration::days(1)
}

/// Counts one use of the key at `at`, dropping the key's own uses older than a day.
async fn count(conn: &mut DbConn, key_hash: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("DELETE FROM limit_hits WHERE key_hash = $1 AND at < $2")
        .bind(key_hash)
        .bind(at - keep())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    sqlx::query("INSERT INTO limit_hits (key_hash, at) VALUES ($1, $2)")
        .bind(key_hash)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl LimitStore for Store {
    async fn limit_uses(&self, key_hash: &str, since: DateTime<Utc>) -> Result<u32> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM limit_hits WHERE key_hash = $1 AND at > $2")
                .bind(key_hash)
                .bind(since)
                .fetch_one(&self.read)
                .await
                .map_err(backend)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn limit_count(&self, key_hash: &str, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        count(&mut tx, key_hash, at).await?;
        tx.commit().await.map_err(backend)
    }

    async fn limit_take(
        &self,
        key_hash: &str,
        limit: u32,
        since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        hold_limit_key(&mut tx, key_hash).await?;
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM limit_hits WHERE key_hash = $1 AND at > $2")
                .bind(key_hash)
                .bind(since)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        if n >= i64::from(limit) {
            return Ok(false);
        }
        count(&mut tx, key_hash, at).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn limit_release(&self, key_hash: &str, at: DateTime<Utc>) -> Result<()> {
        // One row only, by the engine's row identity: two uses taken at the same instant
        // give back one each.
        sqlx::query(&format!(
            "DELETE FROM limit_hits WHERE {ROW_ID} IN
               (SELECT {ROW_ID} FROM limit_hits WHERE key_hash = $1 AND at = $2 LIMIT 1)"
        ))
        .bind(key_hash)
        .bind(at)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn limit_clear(&self, key_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM limit_hits WHERE key_hash = $1")
            .bind(key_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn limit_prune(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM limit_hits WHERE at < $1")
            .bind(now - keep())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
