//! The audit group commit on SQLite. Audit entries recorded on their own (reads of people's
//! records: most requests) are committed in groups: whatever arrived while the last commit
//! waited for the disk goes into the next transaction together. Each caller still waits
//! until its own entry is committed, so no read is answered before its audit entry is safe;
//! a busy server makes one commit for many reads instead of one each.

use super::seam::backend;
use super::store::append_audit;
use storage::{AuditEntry, Result, StorageError};
use tokio::sync::{mpsc, oneshot};

/// An audit entry waiting for the group commit, and who to tell when it is durable.
pub(crate) struct Pending {
    entry: AuditEntry,
    done: oneshot::Sender<Result<()>>,
}

/// The queue into the group commit.
pub(crate) type Queue = mpsc::UnboundedSender<Pending>;

/// Starts the task that commits queued entries through the one writer connection.
pub(crate) fn start(write: sqlx::SqlitePool) -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, GROUP_MAX).await > 0 {
            let result = commit_group(&write, &batch).await;
            for p in batch.drain(..) {
                let answer = match &result {
                    Ok(()) => Ok(()),
                    Err(e) => Err(StorageError::Backend(e.to_string())),
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
        append_audit(&mut tx, &p.entry).await?;
    }
    tx.commit().await.map_err(backend)
}

/// Queues one entry and waits until the commit that holds it is durable.
pub(crate) async fn append(queue: &Queue, entry: &AuditEntry) -> Result<()> {
    let (done, answer) = oneshot::channel();
    let pending = Pending {
        entry: entry.clone(),
        done,
    };
    if queue.send(pending).is_err() {
        return Err(StorageError::Backend("the audit writer has stopped".into()));
    }
    answer
        .await
        .map_err(|_| StorageError::Backend("the audit writer stopped before committing".into()))?
}
