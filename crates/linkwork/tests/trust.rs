//! Trust at the command line, on both engines: `linkwork audit verify` finds a tampered or
//! deleted audit entry even when the tamperer had the database to themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::process::Command;

fn linkwork(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_linkwork"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Some history: a PCN and three accounts, each audited.
fn history(url: &str) {
    let (ok, out) = linkwork(url, &["migrate"]);
    assert!(ok, "{out}");
    let (ok, out) = linkwork(url, &["pcn-add", "--name", "Trust PCN", "--ods", "U77777"]);
    assert!(ok, "{out}");
    for who in ["one", "two", "three"] {
        let email = format!("{who}@trust.example");
        let (ok, out) = linkwork(
            url,
            &[
                "user",
                "add",
                "--email",
                &email,
                "--name",
                who,
                "--role",
                "manager",
                "--password",
                "a long test password",
            ],
        );
        assert!(ok, "{out}");
    }
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(ok && out.contains("Audit log intact"), "{out}");
}

/// Runs SQL straight on the database, as someone with the database's password could.
async fn exec(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut db).await.unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut db).await.unwrap();
    }
}

async fn tamper_is_found(url: &str, disable: &str, enable: &str) {
    history(url);
    // A database owner can lift the append-only guard; the hash chain still tells.
    exec(url, disable).await;
    exec(
        url,
        "UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2",
    )
    .await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(!ok, "a changed entry must fail verification: {out}");
    assert!(out.contains("BROKEN at record 2"), "{out}");
    // Deleting an entry from the middle is found too. (Cutting entries off the end leaves
    // a valid chain: docs/security.md says how to anchor the head elsewhere.)
    exec(url, "DELETE FROM audit_log WHERE seq = 2").await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(!ok && out.contains("BROKEN"), "{out}");
    exec(url, enable).await;
}

#[tokio::test]
async fn audit_verify_finds_tampering_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("trust.db").display());
    tamper_is_found(
        &url,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        "SELECT 1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_finds_tampering_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let url = storage_tests::pg::fresh_database().await;
    tamper_is_found(
        &url,
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "ALTER TABLE audit_log ENABLE TRIGGER USER",
    )
    .await;
}
