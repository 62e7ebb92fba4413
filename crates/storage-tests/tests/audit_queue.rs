//! The audit path takes no deployment-wide lock (issue 26): on PostgreSQL a request's audited
//! transaction commits even while the chain is held by a sealer on another node, and what was
//! appended is sealed onto an intact chain, in full, before anyone reads it. On SQLite (one
//! writer) the same appends at once keep the chain intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;
use storage::{AuditEntry, AuditVerification, Storage};

fn entry(action: &str, i: usize) -> AuditEntry {
    AuditEntry {
        at: chrono::Utc::now(),
        actor_id: None,
        actor_label: format!("writer {i}"),
        ip: Some("127.0.0.1".into()),
        action: action.into(),
        entity: "test".into(),
        entity_id: Some(i as i64),
        pcn_id: None,
        detail: format!("append {i}"),
    }
}

/// An audited write: an account made.
async fn audited_write(s: &dyn Storage, email: &str) {
    s.create_user(
        storage::NewUser {
            email: email.into(),
            name: "Queue test".into(),
            role: domain::Role::Operator,
            pcn_id: None,
            partner_org_id: None,
            password_hash: "x".into(),
        },
        &storage::Actor::system("test"),
    )
    .await
    .unwrap();
}

/// 64 writers append at once (and one audited write, an account); every entry is on the
/// chain, the chain verifies, and its numbers run without a gap.
async fn sixty_four_at_once(s: Arc<dyn Storage>) {
    let mut tasks = vec![];
    for i in 0..64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.append_audit(&entry("test.burst", i)).await
        }));
    }
    // Sealers on four "nodes" at once, while the appends arrive: they take turns, and one that
    // finds the queue emptied by another in the meantime seals nothing.
    let mut sealers = vec![];
    for _ in 0..4 {
        let s = s.clone();
        sealers.push(tokio::spawn(async move {
            for _ in 0..5 {
                s.seal_audit().await.unwrap();
            }
        }));
    }
    audited_write(&*s, "burst@queue.example").await;
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for t in sealers {
        t.await.unwrap();
    }
    let all = s.all_audit().await.unwrap();
    let mine: Vec<_> = all.iter().filter(|r| r.action == "test.burst").collect();
    assert_eq!(mine.len(), 64, "every append is read back");
    assert!(
        all.iter().any(|r| r.detail.contains("burst@queue.example")),
        "the account's entry too"
    );
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert_eq!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact {
            records: all.len() as u64
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_at_once_keep_the_chain_on_sqlite() {
    let (s, _dir) = storage_tests::sqlite().await;
    sixty_four_at_once(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_do_not_wait_for_the_chain_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let url = storage_tests::pg::fresh_database().await;
    let s: Arc<dyn Storage> = Arc::new(storage_sql::PgStorage::open(&url, 8).await.unwrap());
    // Another node's sealer holds the chain (the lock every append took before issue 26).
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut held = other.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(7411)")
        .execute(&mut *held)
        .await
        .unwrap();
    let appends = async {
        for i in 0..20 {
            s.append_audit(&entry("test.held", i)).await.unwrap();
        }
        audited_write(&*s, "held@queue.example").await;
    };
    tokio::time::timeout(Duration::from_secs(20), appends)
        .await
        .expect("audited writes finish while the chain is held elsewhere");
    held.rollback().await.unwrap();
    // Sealed when read: all twenty and the account's entry, on an intact chain.
    let all = s.all_audit().await.unwrap();
    assert_eq!(all.iter().filter(|r| r.action == "test.held").count(), 20);
    assert!(all.iter().any(|r| r.detail.contains("held@queue.example")));
    assert!(matches!(
        s.verify_audit().await.unwrap(),
        AuditVerification::Intact { .. }
    ));
    sixty_four_at_once(s).await;
}
