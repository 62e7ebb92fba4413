//! The hash-chained audit log: appending inside the caller's transaction, sealing queued
//! entries onto the chain, and reading it back.
//!
//! How an entry is appended is the engine's (`engine::QUEUE_AUDIT`): SQLite's one writer
//! extends the chain at once ([`chain`]); PostgreSQL's nodes add it to `audit_queue` with no
//! lock, and [`seal`] later moves queued entries onto the chain in order, one sealer at a time
//! (ADR 57). Every read of the log seals first, so an entry is on the chain before anyone
//! reads it, and the chain checks exactly as before.

use super::engine::{self, backend, Db, DbConn, Store};
use super::rows;
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};
use storage::{chain_hash, AuditEntry, AuditFilter, AuditRecord, AuditStore, Result, GENESIS_HASH};

/// Appends one record inside the caller's transaction, as the engine does it.
pub(crate) async fn append(conn: &mut DbConn, entry: &AuditEntry) -> Result<()> {
    if engine::QUEUE_AUDIT {
        enqueue(conn, entry).await
    } else {
        chain(conn, entry).await
    }
}

/// Puts one record on the chain inside the caller's transaction. The engine first makes this
/// transaction the only one extending the chain until it ends, so the chain cannot fork.
pub(crate) async fn chain(conn: &mut DbConn, entry: &AuditEntry) -> Result<()> {
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

/// Adds one record to the queue inside the caller's transaction: no lock, no read of the
/// chain's head; durable when the caller commits.
pub(crate) async fn enqueue(conn: &mut DbConn, entry: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_queue (at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.at)
    .bind(entry.actor_id)
    .bind(&entry.actor_label)
    .bind(&entry.ip)
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(entry.entity_id)
    .bind(entry.pcn_id)
    .bind(&entry.detail)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Entries moved from the queue to the chain in one transaction at most (12 values each,
/// within every engine's limit on one statement's values).
const SEAL_BATCH: i64 = 1000;

/// Moves every queued entry onto the chain, oldest id first, in transactions of up to
/// [`SEAL_BATCH`], each holding the chain (one sealer at a time, on any node). An entry whose
/// transaction commits after a later id was sealed is sealed in the next round: its place on
/// the chain is given here, not when it was queued. Returns how many were sealed.
pub(crate) async fn seal(store: &Store) -> Result<u64> {
    let mut sealed = 0u64;
    loop {
        let waiting: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_queue)")
            .fetch_one(&store.read)
            .await
            .map_err(backend)?;
        if !waiting {
            return Ok(sealed);
        }
        let mut tx = store.write.begin().await.map_err(backend)?;
        engine::hold_audit_chain(&mut tx).await?;
        let mut rows = sqlx::query(
            "DELETE FROM audit_queue WHERE id IN (SELECT id FROM audit_queue ORDER BY id LIMIT $1)
             RETURNING id, at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, detail",
        )
        .bind(SEAL_BATCH)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if rows.is_empty() {
            // Another sealer took them between the look and the lock.
            tx.rollback().await.map_err(backend)?;
            return Ok(sealed);
        }
        rows.sort_by_key(|r| r.try_get::<i64, _>("id").unwrap_or_default());
        let n = rows.len() as u64;
        // The head once, then each entry's place and hash in memory, written in one statement.
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let (mut seq, mut prev) = last.unwrap_or((0, GENESIS_HASH.to_string()));
        let mut linked = Vec::with_capacity(rows.len());
        for r in &rows {
            let entry = AuditEntry {
                at: r.try_get("at").map_err(backend)?,
                actor_id: r.try_get("actor_id").map_err(backend)?,
                actor_label: r.try_get("actor_label").map_err(backend)?,
                ip: r.try_get("ip").map_err(backend)?,
                action: r.try_get("action").map_err(backend)?,
                entity: r.try_get("entity").map_err(backend)?,
                entity_id: r.try_get("entity_id").map_err(backend)?,
                pcn_id: r.try_get("pcn_id").map_err(backend)?,
                detail: r.try_get("detail").map_err(backend)?,
            };
            seq += 1;
            let hash = chain_hash(&prev, seq, &entry);
            linked.push((seq, entry, prev, hash.clone()));
            prev = hash;
        }
        let mut q: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO audit_log (seq, at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, detail, prev_hash, hash) ",
        );
        q.push_values(linked, |mut b, (seq, e, prev_hash, hash)| {
            b.push_bind(seq)
                .push_bind(e.at)
                .push_bind(e.actor_id)
                .push_bind(e.actor_label)
                .push_bind(e.ip)
                .push_bind(e.action)
                .push_bind(e.entity)
                .push_bind(e.entity_id)
                .push_bind(e.pcn_id)
                .push_bind(e.detail)
                .push_bind(prev_hash)
                .push_bind(hash);
        });
        q.build().execute(&mut *tx).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        sealed += n;
        if n < SEAL_BATCH as u64 {
            return Ok(sealed);
        }
    }
}

#[async_trait]
impl AuditStore for Store {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        engine::append_audit_alone(self, entry).await
    }

    async fn seal_audit(&self) -> Result<u64> {
        seal(self).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        seal(self).await?;
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
        seal(self).await?;
        let rs = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter().map(rows::audit).collect()
    }
}
