//! Limits shared by every node (issue 26): two stores opened on one database stand for two
//! nodes. What one counts, the other sees; uses taken at once through both never pass the
//! limit; uses older than the window are not counted. On PostgreSQL with two stores; on
//! SQLite, which is one node by design (one writer), with one store asked as both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use std::sync::Arc;
use storage::Storage;

async fn two_nodes(a: Arc<dyn Storage>, b: Arc<dyn Storage>) {
    let hour = Utc::now() - Duration::hours(1);
    // Counted on one node, seen on the other.
    for _ in 0..3 {
        a.limit_count("address-1", Utc::now()).await.unwrap();
    }
    assert_eq!(b.limit_uses("address-1", hour).await.unwrap(), 3);
    assert_eq!(
        b.limit_uses("address-2", hour).await.unwrap(),
        0,
        "keys apart"
    );
    // Taking: two left of five, whichever node asks.
    assert!(b
        .limit_take("address-1", 5, hour, Utc::now())
        .await
        .unwrap());
    assert!(a
        .limit_take("address-1", 5, hour, Utc::now())
        .await
        .unwrap());
    assert!(!b
        .limit_take("address-1", 5, hour, Utc::now())
        .await
        .unwrap());
    assert_eq!(
        a.limit_uses("address-1", hour).await.unwrap(),
        5,
        "a refused take counts nothing"
    );
    // A use taken and then given back (an attempt that was not a failure) frees its place,
    // on either node; two taken at the same instant give back one each.
    let at = Utc::now();
    assert!(a.limit_take("attempts", 3, hour, at).await.unwrap());
    assert!(b.limit_take("attempts", 3, hour, at).await.unwrap());
    b.limit_release("attempts", at).await.unwrap();
    assert_eq!(a.limit_uses("attempts", hour).await.unwrap(), 1);
    a.limit_release("attempts", at).await.unwrap();
    a.limit_release("attempts", at).await.unwrap();
    assert_eq!(b.limit_uses("attempts", hour).await.unwrap(), 0);
    // Cleared (failures in a row, after a success): every use of that key, on either node.
    for _ in 0..3 {
        a.limit_count("in-a-row", Utc::now()).await.unwrap();
    }
    a.limit_count("another", Utc::now()).await.unwrap();
    b.limit_clear("in-a-row").await.unwrap();
    assert_eq!(a.limit_uses("in-a-row", hour).await.unwrap(), 0);
    assert_eq!(a.limit_uses("another", hour).await.unwrap(), 1);
    // Old uses fall out of the window.
    a.limit_count("address-3", Utc::now() - Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(a.limit_uses("address-3", hour).await.unwrap(), 0);
    // Twenty takes at once through both nodes with a limit of seven: exactly seven pass.
    let mut tasks = vec![];
    for i in 0..20 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.limit_take("burst", 7, Utc::now() - Duration::hours(1), Utc::now())
                .await
                .unwrap()
        }));
    }
    let mut passed = 0;
    for t in tasks {
        passed += usize::from(t.await.unwrap());
    }
    assert_eq!(passed, 7);
    // Uses older than a day are removed by the prune, and only those.
    a.limit_count("stale", Utc::now() - Duration::days(2))
        .await
        .unwrap();
    a.limit_count("fresh", Utc::now()).await.unwrap();
    assert!(b.limit_prune(Utc::now()).await.unwrap() >= 1);
    let long_ago = Utc::now() - Duration::days(3);
    assert_eq!(a.limit_uses("stale", long_ago).await.unwrap(), 0);
    assert_eq!(a.limit_uses("fresh", long_ago).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_count_and_take_on_sqlite() {
    let (s, _dir) = storage_tests::sqlite().await;
    two_nodes(s.clone(), s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_across_two_nodes_on_postgres() {
    if storage_tests::pg::skip_requested() {
        eprintln!("PostgreSQL half skipped by LINKWORK_TEST_SKIP_POSTGRES=1");
        return;
    }
    let url = storage_tests::pg::fresh_database().await;
    let a = storage_sql::PgStorage::open(&url, 8).await.unwrap();
    let b = storage_sql::PgStorage::open(&url, 8).await.unwrap();
    two_nodes(Arc::new(a), Arc::new(b)).await;
}
