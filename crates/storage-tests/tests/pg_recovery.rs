//! The PostgreSQL recovery the reference deployment (docs/deploy-postgres.md) relies on,
//! rehearsed with Linkwork's own schema and audit log on real clusters:
//!
//! - **Point-in-time recovery**: a base backup and the WAL archive bring back the database as
//!   it was at a named restore point; what was written after is gone, the audit chain
//!   verifies, a checkpoint taken before the point still verifies and one taken after reports
//!   the entries lost.
//! - **Failover to a synchronous hot standby**: the primary crashes under write load, the
//!   standby is promoted, and every write the primary acknowledged is there, with its audit
//!   entry on an intact chain; Linkwork then writes to the promoted server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storage::{AuditStore, AuditVerification, Storage};
use storage_sql::PgStorage;
use storage_tests::pg::OwnServer;

/// An audited write: an account made (a row and its audit entry, in one transaction).
async fn account(s: &dyn Storage, email: &str) -> storage::Result<storage::User> {
    s.create_user(
        storage::NewUser {
            email: email.into(),
            name: "Recovery test".into(),
            role: domain::Role::Operator,
            pcn_id: None,
            partner_org_id: None,
            password_hash: "x".into(),
        },
        &storage::Actor::system("test"),
    )
    .await
}

async fn accounts(s: &dyn Storage, prefix: &str, n: usize) {
    for i in 0..n {
        account(s, &format!("{prefix}{i}@recovery.example"))
            .await
            .unwrap();
    }
}

async fn has(s: &dyn Storage, email: &str) -> bool {
    s.user_by_email(email).await.unwrap().is_some()
}

async fn sql(url: &str, q: &str) -> String {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    // A statement with no row (CREATE DATABASE) answers "".
    let v: Option<Option<String>> = sqlx::query_scalar(q).fetch_optional(&mut c).await.unwrap();
    v.flatten().unwrap_or_default()
}

/// Waits until the server at `url` has left recovery (promoted) and takes writes.
async fn wait_promoted(url: &str) {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut c) = sqlx::PgConnection::connect(url).await {
            let r: Result<bool, _> = sqlx::query_scalar("SELECT pg_is_in_recovery()")
                .fetch_one(&mut c)
                .await;
            if matches!(r, Ok(false)) {
                return;
            }
        }
        assert!(
            Instant::now() < until,
            "the server was not promoted in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn intact(v: AuditVerification) -> u64 {
    match v {
        AuditVerification::Intact { records } => records,
        other => panic!("the audit chain does not verify: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn point_in_time_recovery_brings_back_the_database_and_its_audit_chain() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let primary = OwnServer::start_with(&[
        "archive_mode = on",
        "archive_command = 'test ! -f {dir}/archive/%f && cp %p {dir}/archive/%f'",
    ])
    .unwrap();
    let archive = primary.make_dir("archive").unwrap();
    let backups = primary.make_dir("backups").unwrap();
    sql(&primary.url("postgres"), "CREATE DATABASE linkwork").await;
    let url = primary.url("linkwork");
    let s = PgStorage::open(&url, 4).await.unwrap();
    accounts(&s, "before-backup-", 10).await;

    let base = backups.join("base");
    primary.base_backup(&base).unwrap();

    accounts(&s, "after-backup-", 10).await;
    // The chain's head now, kept outside the database as an operator's checkpoint file is.
    let kept = storage::checkpoint(&s.all_audit().await.unwrap()).unwrap();
    sql(
        &url,
        "SELECT pg_create_restore_point('before_the_mistake')::text",
    )
    .await;
    // The mistake: written after the point, and then recovered away.
    accounts(&s, "mistake-", 10).await;
    let later = storage::checkpoint(&s.all_audit().await.unwrap()).unwrap();
    assert!(later.seq > kept.seq);
    // The last segment goes to the archive, and the archiver has copied it.
    let last = sql(&url, "SELECT pg_walfile_name(pg_switch_wal())").await;
    let until = Instant::now() + Duration::from_secs(60);
    while !archive.join(&last).exists() {
        assert!(
            Instant::now() < until,
            "WAL segment {last} was not archived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let restored = OwnServer::recovered(
        &primary,
        &base,
        &archive,
        "recovery_target_name = 'before_the_mistake'",
    )
    .unwrap();
    let rurl = restored.url("linkwork");
    wait_promoted(&rurl).await;
    let r = PgStorage::open(&rurl, 4).await.unwrap();
    for i in [0, 9] {
        assert!(has(&r, &format!("before-backup-{i}@recovery.example")).await);
        assert!(has(&r, &format!("after-backup-{i}@recovery.example")).await);
        assert!(
            !has(&r, &format!("mistake-{i}@recovery.example")).await,
            "an account made after the restore point came back"
        );
    }
    // The chain verifies and ends where it did at the restore point (entries queued then are
    // sealed on the first read, in order).
    let records = intact(r.verify_audit().await.unwrap());
    let all = r.all_audit().await.unwrap();
    assert_eq!(records, all.len() as u64);
    assert!(all.iter().all(|e| !e.detail.contains("mistake-")));
    // The checkpoint from before the point still verifies; the one from after says entries
    // are missing, as it must after any recovery to an earlier time.
    intact(storage::verify_checkpoint(&all, &kept));
    assert!(matches!(
        storage::verify_checkpoint(&all, &later),
        AuditVerification::Broken { .. }
    ));
    // The recovered server takes writes, and the chain goes on from its head.
    account(&r, "after-recovery@recovery.example")
        .await
        .unwrap();
    assert_eq!(intact(r.verify_audit().await.unwrap()), records + 1);
    storage_tests::figure(&format!(
        "Point-in-time recovery on postgres: back to the restore point (20 accounts kept, 10 after it gone), audit chain of {records} intact, the later checkpoint reports the loss"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_to_a_synchronous_standby_keeps_every_acknowledged_write() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let primary = OwnServer::start().unwrap();
    sql(&primary.url("postgres"), "CREATE DATABASE linkwork").await;
    let url = primary.url("linkwork");
    let s = Arc::new(PgStorage::open(&url, 8).await.unwrap());
    accounts(&*s, "early-", 5).await;

    let standby = OwnServer::standby_of(&primary, &[]).unwrap();
    // Commits now wait until the standby has the WAL on disk.
    {
        let mut c = sqlx::PgConnection::connect(&primary.url("postgres"))
            .await
            .unwrap();
        sqlx::query("ALTER SYSTEM SET synchronous_standby_names = '*'")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("SELECT pg_reload_conf()")
            .execute(&mut c)
            .await
            .unwrap();
    }
    let until = Instant::now() + Duration::from_secs(60);
    while sql(
        &primary.url("postgres"),
        "SELECT string_agg(sync_state, ',') FROM pg_stat_replication",
    )
    .await
        != "sync"
    {
        assert!(
            Instant::now() < until,
            "the standby did not become synchronous"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A write on the primary reaches the standby (read there once replayed).
    account(&*s, "replicated@recovery.example").await.unwrap();
    let surl = standby.url("linkwork");
    let until = Instant::now() + Duration::from_secs(30);
    while sql(
        &surl,
        "SELECT count(*)::text FROM users WHERE email = 'replicated@recovery.example'",
    )
    .await
        != "1"
    {
        assert!(
            Instant::now() < until,
            "the write was not replayed on the standby"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Eight writers; the primary crashes under them.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = vec![];
    for w in 0..8 {
        let (s, acked, stop) = (s.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let email = format!("load-{w}-{n}@recovery.example");
                n += 1;
                if account(&*s, &email).await.is_ok() {
                    acked.lock().unwrap().push(email);
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_crash = acked.lock().unwrap().len();
    primary.crash().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert!(
        before_crash >= 20,
        "the load wrote {before_crash} accounts before the crash"
    );

    standby.promote().unwrap();
    wait_promoted(&surl).await;
    let t = PgStorage::open(&surl, 4).await.unwrap();
    // Every acknowledged write is there, whole: the account and its audit entry.
    let all = t.all_audit().await.unwrap();
    // An account's entry reads "<email> as <role>".
    let audited: HashSet<&str> = all
        .iter()
        .filter(|e| e.action == "user.create")
        .filter_map(|e| e.detail.split(" as ").next())
        .collect();
    for email in &acked {
        assert!(
            has(&t, email).await,
            "acknowledged {email} was lost in failover"
        );
        assert!(
            audited.contains(email.as_str()),
            "acknowledged {email} lost its audit entry"
        );
    }
    let records = intact(t.verify_audit().await.unwrap());
    // The promoted server takes Linkwork's writes.
    account(&t, "after-failover@recovery.example")
        .await
        .unwrap();
    assert_eq!(intact(t.verify_audit().await.unwrap()), records + 1);
    storage_tests::figure(&format!(
        "Failover on postgres: {} writes acknowledged before and during the primary's crash, all on the promoted synchronous standby; audit chain of {} intact",
        acked.len(),
        records + 1
    ));
}
