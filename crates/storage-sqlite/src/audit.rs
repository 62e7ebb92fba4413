//! The hash-chained audit log in SQLite.

use crate::{backend, rows, SqliteStorage};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use storage::{chain_hash, AuditEntry, AuditFilter, AuditRecord, AuditStore, Result, GENESIS_HASH};

/// Appends one record inside the caller's transaction (writes are serialised, so the
/// chain cannot fork).
pub(crate) async fn append(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<()> {
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

/// An audit entry waiting for the group commit, and who to tell when it is durable.
pub(crate) struct Pending {
    entry: AuditEntry,
    done: tokio::sync::oneshot::Sender<Result<()>>,
}

/// Audit entries recorded on their own (reads of people's records: most requests) are
/// committed in groups: whatever arrived while the last commit waited for the disk goes
/// into the next transaction together. Each caller still waits until its own entry is
/// committed, so no read is answered before its audit entry is safe; a busy server makes
/// one commit for many reads instead of one each.
pub(crate) fn start_group_commit(
    write: sqlx::SqlitePool,
) -> tokio::sync::mpsc::UnboundedSender<Pending> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, GROUP_MAX).await > 0 {
            let result = commit_group(&write, &batch).await;
            for p in batch.drain(..) {
                let answer = match &result {
                    Ok(()) => Ok(()),
                    Err(e) => Err(storage::StorageError::Backend(e.to_string())),
                };
                let _ = p.done.send(answer);
            }
        }
    });
    tx
}

/// The most entries in one commit.
const GROUP_MAX: usize = 256;

async fn commit_group(write: &sqlx::SqlitePool, batch: &[Pending]) -> Result<()> {
    let mut tx = write.begin().await.map_err(backend)?;
    for p in batch {
        append(&mut tx, &p.entry).await?;
    }
    tx.commit().await.map_err(backend)
}

#[async_trait]
impl AuditStore for SqliteStorage {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let pending = Pending {
            entry: entry.clone(),
            done,
        };
        if self.audit.send(pending).is_err() {
            return Err(storage::StorageError::Backend(
                "the audit writer has stopped".into(),
            ));
        }
        answer.await.map_err(|_| {
            storage::StorageError::Backend("the audit writer stopped before committing".into())
        })?
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM audit_log WHERE 1=1");
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
