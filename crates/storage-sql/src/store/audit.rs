//! The hash-chained audit log: appending inside the caller's transaction, and reading it back.

use super::engine::{self, backend, Db, DbConn, Store};
use super::rows;
use async_trait::async_trait;
use sqlx::QueryBuilder;
use storage::{chain_hash, AuditEntry, AuditFilter, AuditRecord, AuditStore, Result, GENESIS_HASH};

/// Appends one record inside the caller's transaction. The engine first makes this
/// transaction the only one extending the chain until it ends, so the chain cannot fork.
pub(crate) async fn append(conn: &mut DbConn, entry: &AuditEntry) -> Result<()> {
    engine::hold_audit_chain(conn).await?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    let seq = prev_seq + 1;
    let hash = chain_hash(&prev_hash, seq, entry);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(seq)
    .bind(entry.at)
    .bind(entry.actor_id)
    .bind(&entry.actor_label)
    .bind(&entry.ip)
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(entry.entity_id)
    .bind(entry.pcn_id)
    .bind(&entry.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl AuditStore for Store {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        engine::append_audit_alone(self, entry).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new("SELECT * FROM audit_log WHERE 1=1");
        if let Some(p) = f.pcn_id {
            q.push(" AND pcn_id = ").push_bind(p);
        }
        if let Some(a) = f.actor_id {
            q.push(" AND actor_id = ").push_bind(a);
        }
        if let Some(a) = &f.action_prefix {
            q.push(" AND substr(action, 1, length(")
                .push_bind(a.clone())
                .push(")) = ")
                .push_bind(a.clone());
        }
        if let Some(e) = &f.entity {
            q.push(" AND entity = ").push_bind(e.clone());
        }
        if let Some(e) = f.entity_id {
            q.push(" AND entity_id = ").push_bind(e);
        }
        if let Some(s) = f.since {
            q.push(" AND at >= ").push_bind(s);
        }
        if let Some(u) = f.until {
            q.push(" AND at < ").push_bind(u);
        }
        q.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 1000)));
        let rs = q.build().fetch_all(&self.read).await.map_err(backend)?;
        rs.iter().map(rows::audit).collect()
    }

    async fn all_audit(&self) -> Result<Vec<AuditRecord>> {
        let rs = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter().map(rows::audit).collect()
    }
}
