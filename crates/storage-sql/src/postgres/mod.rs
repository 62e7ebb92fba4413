//! PostgreSQL storage: for deployments that outgrow one machine. Several stateless
//! `linkwork serve` nodes share one primary; every write is a transaction. Audit entries are
//! queued without a lock and sealed onto the chain by one sealer at a time (ADR 57).

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

/// How the audit path is measured by `linkwork bench audit`: audited transactions a second
/// from many concurrent writers, each its own transaction with one audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditPath {
    /// Before issue 26: each transaction takes the chain's advisory lock and extends the
    /// chain itself, so transactions wait for one another.
    Locked,
    /// Now: each transaction queues its entry; a sealer (one a second, as each node runs)
    /// moves queued entries onto the chain.
    Queued,
}

/// What one run of the audit benchmark measured.
#[derive(Debug, Clone)]
pub struct AuditBench {
    pub committed: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Entries still queued when the writers stopped (sealed afterwards, and counted).
    pub queued_at_end: u64,
}

impl PgStorage {
    /// Runs `writers` concurrent writers for `duration`, each committing transactions with
    /// one audit entry on `path`, then seals what is left and checks the chain.
    pub async fn bench_audit(
        &self,
        path: AuditPath,
        writers: usize,
        duration: Duration,
    ) -> Result<AuditBench> {
        use storage::AuditEntry;
        let stop = std::time::Instant::now() + duration;
        let started = std::time::Instant::now();
        let sealer = {
            let me = self.clone();
            tokio::spawn(async move {
                while std::time::Instant::now() < stop {
                    if path == AuditPath::Queued {
                        let _ = store::seal_audit_queue(&me).await;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        };
        let mut tasks = vec![];
        for w in 0..writers {
            let me = self.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = vec![];
                let mut n = 0u64;
                while std::time::Instant::now() < stop {
                    let t = std::time::Instant::now();
                    let e = AuditEntry {
                        at: chrono::Utc::now(),
                        actor_id: None,
                        actor_label: format!("bench writer {w}"),
                        ip: Some("127.0.0.1".into()),
                        action: "bench.audit".into(),
                        entity: "bench".into(),
                        entity_id: Some(n as i64),
                        pcn_id: None,
                        detail: String::new(),
                    };
                    let mut tx = me.write.begin().await.map_err(backend)?;
                    match path {
                        AuditPath::Locked => store::chain_audit(&mut tx, &e).await?,
                        AuditPath::Queued => store::append_audit(&mut tx, &e).await?,
                    }
                    tx.commit().await.map_err(backend)?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    n += 1;
                }
                Ok::<_, StorageError>((n, times))
            }));
        }
        let mut committed = 0;
        let mut times = vec![];
        for t in tasks {
            let (n, mut ts) = t
                .await
                .map_err(|e| StorageError::Backend(e.to_string()))??;
            committed += n;
            times.append(&mut ts);
        }
        let seconds = started.elapsed().as_secs_f64();
        let _ = sealer.await;
        let queued_at_end: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_queue")
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        store::seal_audit_queue(self).await?;
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            times
                .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Ok(AuditBench {
            committed,
            seconds,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            queued_at_end: queued_at_end as u64,
        })
    }
}

/// Runs [`PgStorage::bench_audit`] on a scratch database made on `server` (a URL whose user
/// may create databases) and dropped afterwards, the writers sharing `connections`, and checks that the chain then holds every
/// committed entry, verified.
pub async fn bench_audit_scratch(
    server: &str,
    path: AuditPath,
    writers: usize,
    connections: u32,
    duration: Duration,
) -> Result<AuditBench> {
    use sqlx::{Connection, Executor};
    use storage::{AuditStore, AuditVerification};
    let mut admin = sqlx::PgConnection::connect(server).await.map_err(backend)?;
    let db = format!(
        "linkwork_bench_audit_{}_{}",
        if path == AuditPath::Locked {
            "locked"
        } else {
            "queued"
        },
        std::process::id()
    );
    admin
        .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
        .await
        .map_err(backend)?;
    admin
        .execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .map_err(backend)?;
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => {
            return Err(StorageError::Rule(
                "the server URL should end with /<database>".into(),
            ))
        }
    };
    let store = PgStorage::open(&url, connections).await?;
    let r = store.bench_audit(path, writers, duration).await;
    let whole = match &r {
        Ok(r) => match store.verify_audit().await? {
            AuditVerification::Intact { records } if records == r.committed => Ok(()),
            other => Err(StorageError::Rule(format!(
                "the chain after the run is not whole: {other:?}"
            ))),
        },
        Err(_) => Ok(()),
    };
    store.read.close().await;
    admin
        .execute(format!("DROP DATABASE {db} WITH (FORCE)").as_str())
        .await
        .map_err(backend)?;
    whole?;
    r
}
