//! Trust at the command line, on both engines: `linkwork audit verify` finds a tampered or
//! deleted audit entry even when the tamperer had the database to themselves, and
//! `linkwork backup` / `linkwork restore` bring back every row, refusing anything that is not
//! a whole backup for this engine and schema, or a database that already holds data.
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

/// Reordered and inserted entries are found by the chain; a rewrite of the whole log with
/// every hash recomputed (by someone with the database and this code) passes the chain check
/// but not a checkpoint exported before it.
async fn rewrites_are_found(url: &str, disable: &str, enable: &str) {
    history(url);
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("audit.checkpoints");
    let cp_arg = cp.to_str().unwrap();
    let (ok, out) = linkwork(url, &["audit", "checkpoint", "--out", cp_arg]);
    assert!(ok && out.contains("Checkpoint of record"), "{out}");
    let (ok, out) = linkwork(url, &["pcn-add", "--name", "Later PCN", "--ods", "U77778"]);
    assert!(ok, "{out}");
    let (ok, out) = linkwork(url, &["audit", "verify", "--checkpoint", cp_arg]);
    assert!(ok && out.contains("every checkpoint held"), "{out}");
    exec(url, disable).await;

    // Two entries swapped.
    exec(url, "UPDATE audit_log SET seq = -seq WHERE seq IN (2, 3)").await;
    exec(
        url,
        "UPDATE audit_log SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0",
    )
    .await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(
        !ok && out.contains("BROKEN at record 2"),
        "reordered: {out}"
    );
    exec(url, "UPDATE audit_log SET seq = -seq WHERE seq IN (2, 3)").await;
    exec(
        url,
        "UPDATE audit_log SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0",
    )
    .await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(ok, "put back: {out}");

    // An entry inserted between 2 and 3 (a copy of 2, the rest moved up one).
    exec(url, "UPDATE audit_log SET seq = -seq WHERE seq >= 3").await;
    exec(url, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0").await;
    exec(
        url,
        "INSERT INTO audit_log (seq, at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, detail, prev_hash, hash)
         SELECT 3, at, actor_id, actor_label, ip, action, entity, entity_id, pcn_id, 'planted', hash, hash FROM audit_log WHERE seq = 2",
    )
    .await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(!ok && out.contains("BROKEN at record 3"), "inserted: {out}");
    exec(url, "DELETE FROM audit_log WHERE seq = 3").await;
    exec(url, "UPDATE audit_log SET seq = -seq WHERE seq >= 4").await;
    exec(url, "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0").await;
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(ok, "put back: {out}");

    // The whole log rewritten with every hash recomputed: the chain checks, the checkpoint
    // kept outside does not.
    let store = linkwork::open_storage(url, 2).await.unwrap();
    let records = store.all_audit().await.unwrap();
    drop(store);
    let mut prev = storage::GENESIS_HASH.to_string();
    for r in &records {
        let mut e = storage::AuditEntry {
            at: r.at,
            actor_id: r.actor_id,
            actor_label: r.actor_label.clone(),
            ip: r.ip.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id,
            pcn_id: r.pcn_id,
            detail: r.detail.clone(),
        };
        if r.seq == 2 {
            e.detail = "nothing happened".into();
        }
        let hash = storage::chain_hash(&prev, r.seq, &e);
        exec(
            url,
            &format!(
                "UPDATE audit_log SET detail = '{}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}",
                e.detail.replace('\'', "''"),
                r.seq
            ),
        )
        .await;
        prev = hash;
    }
    let (ok, out) = linkwork(url, &["audit", "verify"]);
    assert!(ok, "a full rewrite passes the chain alone: {out}");
    let (ok, out) = linkwork(url, &["audit", "verify", "--checkpoint", cp_arg]);
    assert!(!ok && out.contains("rewritten"), "{out}");
    // Cut short before the checkpoint: found too.
    exec(url, "DELETE FROM audit_log WHERE seq >= 3").await;
    let (ok, out) = linkwork(url, &["audit", "verify", "--checkpoint", cp_arg]);
    assert!(!ok && out.contains("no longer holds"), "{out}");
    exec(url, enable).await;
}

#[tokio::test]
async fn audit_checkpoints_find_rewrites_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("rewrite.db").display());
    rewrites_are_found(
        &url,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        "SELECT 1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_checkpoints_find_rewrites_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let url = storage_tests::pg::fresh_database().await;
    rewrites_are_found(
        &url,
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "ALTER TABLE audit_log ENABLE TRIGGER USER",
    )
    .await;
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

/// Every row of a backup, sorted (engines may read a table's rows in any order).
fn rows_of(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("END "))
        .map(String::from)
        .collect();
    rows.sort();
    rows
}

async fn count(url: &str, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(&sql).fetch_one(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(&sql).fetch_one(&mut db).await.unwrap()
    }
}

/// A backup that is whole but made for another engine or schema, or holding `table`.
fn foreign_backup(path: &std::path::Path, engine: &str, schema: i64, table: &str) {
    use storage::backup::{BackupHeader, BackupWriter, DumpSink};
    let header = BackupHeader {
        engine: engine.into(),
        schema,
        created_at: chrono::Utc::now(),
    };
    let mut w = BackupWriter::new(Vec::new(), &header).unwrap();
    w.table(table).unwrap();
    w.row(r#"{"id": "planted", "user_id": 1}"#).unwrap();
    let (bytes, _, _) = w.finish().unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Seeds a PCN's worth of synthetic history, backs it up, restores it into `target` and
/// checks the restored database row for row; then the refusals, each leaving `empty` empty.
async fn backup_round_trip(engine: &str, source: &str, target: &str, empty: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = linkwork::open_storage(source, 4).await.unwrap();
    let schema = store.schema_version().await.unwrap();
    linkwork::demo::seed(&store, 60, false).await.unwrap();
    drop(store);
    let first = dir.path().join("first.lwbackup");
    let (ok, out) = linkwork(source, &["backup", first.to_str().unwrap()]);
    assert!(ok && out.contains("Backup written"), "{out}");
    let original = rows_of(&first);
    let lines = original.len();
    assert!(lines > 1000, "a PCN's history is more than {lines} lines");

    let (ok, out) = linkwork(target, &["restore", first.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("Audit log intact"), "{out}");
    let second = dir.path().join("second.lwbackup");
    let (ok, out) = linkwork(target, &["backup", second.to_str().unwrap()]);
    assert!(ok, "{out}");
    // The same rows, but the directory's generation, which the restore moves on so every
    // node rebuilds its search index.
    let moved = |rows: Vec<String>| -> (Vec<String>, Vec<String>) {
        rows.into_iter()
            .partition(|r| !r.contains("\"generation\":"))
    };
    let (restored, restored_generation) = moved(rows_of(&second));
    let (kept, original_generation) = moved(original.clone());
    assert_eq!(restored, kept, "the restored database differs");
    assert_ne!(
        restored_generation, original_generation,
        "search indexes would be reused"
    );
    assert_eq!(count(target, "people").await, count(source, "people").await);
    assert!(count(target, "people").await >= 60);
    let (ok, out) = linkwork(target, &["audit", "verify"]);
    assert!(ok && out.contains("Audit log intact"), "{out}");

    // Restored ids continue: a new account after the restore gets a fresh id, not a clash.
    let (ok, out) = linkwork(
        target,
        &[
            "user",
            "add",
            "--email",
            "after@trust.example",
            "--name",
            "After",
            "--role",
            "manager",
            "--password",
            "a long test password",
        ],
    );
    assert!(ok, "adding an account after a restore: {out}");

    // Into a database that holds data: refused, nothing changed.
    let users = count(target, "users").await;
    let (ok, out) = linkwork(target, &["restore", first.to_str().unwrap()]);
    assert!(!ok && out.contains("already holds Linkwork data"), "{out}");
    assert_eq!(count(target, "users").await, users);

    // Files that are not whole backups for this engine and schema: refused, nothing written.
    let text = std::fs::read_to_string(&first).unwrap();
    let cut = dir.path().join("cut.lwbackup");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let changed = dir.path().join("changed.lwbackup");
    // One digit of the first row changed: still a row, no longer the row that was backed up.
    let row = text.find("\nR ").unwrap();
    let at = row + text[row..].find(|c: char| c.is_ascii_digit()).unwrap();
    let digit = if &text[at..=at] == "7" { "8" } else { "7" };
    std::fs::write(
        &changed,
        format!("{}{digit}{}", &text[..at], &text[at + 1..]),
    )
    .unwrap();
    let not_backup = dir.path().join("notes.txt");
    std::fs::write(&not_backup, "Dear Dr Smith,\nplease see this patient.\n").unwrap();
    let other = if engine == "sqlite" {
        "postgres"
    } else {
        "sqlite"
    };
    let wrong_engine = dir.path().join("engine.lwbackup");
    foreign_backup(&wrong_engine, other, schema, "pcns");
    let wrong_schema = dir.path().join("schema.lwbackup");
    foreign_backup(&wrong_schema, engine, 99, "pcns");
    // A crafted file planting a sign-in session: sessions are never restored.
    let planted = dir.path().join("planted.lwbackup");
    foreign_backup(&planted, engine, schema, "sessions");
    for (file, says) in [
        (&cut, "incomplete"),
        (&changed, "do not match its checksum"),
        (&not_backup, "not a Linkwork backup"),
        (&wrong_engine, "backup and this database is"),
        (&wrong_schema, "schema 99"),
        (&planted, "a table (sessions) this database does not"),
    ] {
        let (ok, out) = linkwork(empty, &["restore", file.to_str().unwrap()]);
        assert!(!ok, "{} was restored: {out}", file.display());
        assert!(out.contains(says), "{}: {out}", file.display());
        assert_eq!(count(empty, "users").await, 0, "{}", file.display());
        assert_eq!(count(empty, "audit_log").await, 0, "{}", file.display());
    }
    storage_tests::figure(&format!(
        "Backup and restore on {engine}: {} rows restored and matched; 7 bad restores refused",
        original.len() - original.iter().filter(|l| l.starts_with("T ")).count()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let empty = url("empty.db");
    let (ok, out) = linkwork(&empty, &["migrate"]);
    assert!(ok, "{out}");
    // A data directory with no database is not backed up as an empty one.
    let nowhere = dir.path().join("nowhere.lwbackup");
    let (ok, out) = linkwork(&url("missing.db"), &["backup", nowhere.to_str().unwrap()]);
    assert!(!ok && out.contains("no Linkwork database"), "{out}");
    assert!(!nowhere.exists() && !dir.path().join("missing.db").exists());
    backup_round_trip("sqlite", &url("source.db"), &url("target.db"), &empty).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let source = storage_tests::pg::fresh_database().await;
    let target = storage_tests::pg::fresh_database().await;
    let empty = storage_tests::pg::fresh_database().await;
    let (ok, out) = linkwork(&empty, &["migrate"]);
    assert!(ok, "{out}");
    backup_round_trip("postgres", &source, &target, &empty).await;
}
