//! Crash safety on both engines: the real `linkwork serve` takes referrals from several
//! clients at once and is killed with SIGKILL at an unpredictable moment, round after round.
//! Afterwards every referral a client saw acknowledged is in the database, no referral is
//! half saved (a person without their referral or episode), the audit chain verifies, and on
//! SQLite `PRAGMA integrity_check` and `foreign_key_check` pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::{Actor, NewUser};

const ROUNDS: u32 = 5;
const WRITERS: usize = 4;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A pause between `lo` and `hi` milliseconds that differs from run to run.
fn jitter(lo: u64, hi: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    Duration::from_millis(lo + nanos % (hi - lo))
}

fn start(url: &str, data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_linkwork"))
        .arg("--database-url")
        .arg(url)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("serve")
        .env("LINKWORK_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, base: &str, server: &mut Child) {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{base}/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            server.try_wait().unwrap().is_none(),
            "linkwork serve exited instead of starting after a crash"
        );
        assert!(Instant::now() < until, "linkwork serve not ready in 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A PCN, a link worker and a personal API token for them.
async fn setup(url: &str) -> String {
    let store = linkwork::open_storage(url, 2).await.unwrap();
    let a = Actor::system("crash-test");
    let pcn = store.create_pcn("Crash PCN", "U66666").await.unwrap();
    let user = store
        .create_user(
            NewUser {
                email: "lw@crash.example".into(),
                name: "Crash Worker".into(),
                role: domain::Role::LinkWorker,
                pcn_id: Some(pcn.id),
                partner_org_id: None,
                password_hash: "x".into(),
            },
            &a,
        )
        .await
        .unwrap();
    let token = format!("lw_{}", "c5".repeat(32));
    store
        .create_api_token(user.id, "crash", &web::auth::sha256_hex(&token), &a)
        .await
        .unwrap();
    token
}

/// Sends referrals until told to stop; returns the family names acknowledged (2xx).
async fn writer(base: String, token: String, tag: String, stop: Arc<AtomicBool>) -> Vec<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let family = format!("Crash{tag}n{n}");
        let body = serde_json::json!({
            "person": {"given_name": "Ada", "family_name": family,
                       "date_of_birth": "1950-03-01", "postcode": "LS7 1AA"},
            "source": "gp", "referrer_name": "Dr Test", "referrer_contact": "0113 496 0000",
            "needs": ["loneliness"], "urgency": "routine", "consent": true,
            // Many Adas born the same day with names a letter apart: each is said to be a
            // new person, as staff do when the API shows them likely duplicates.
            "confirm_not_duplicate": true
        });
        match http
            .post(format!("{base}/api/v1/referrals"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => acknowledged.push(family),
            Ok(r) if r.status().is_server_error() => {
                panic!(
                    "{} while the server was up: {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                )
            }
            Ok(r) => panic!(
                "referral refused: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    acknowledged
}

struct Checked {
    people: i64,
    half_saved: i64,
    integrity: String,
}

async fn check_database(url: &str) -> (HashSet<String>, Checked) {
    const HALF: &str = "SELECT COUNT(*) FROM people p WHERE \
        NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id) \
        OR NOT EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = p.id)";
    if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar("SELECT family_name FROM people")
            .fetch_all(&mut db)
            .await
            .unwrap();
        let half_saved = sqlx::query_scalar(HALF).fetch_one(&mut db).await.unwrap();
        let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut db)
            .await
            .unwrap();
        let fk: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&mut db)
            .await
            .unwrap();
        assert!(fk.is_empty(), "foreign key check: {fk:?}");
        let people = names.len() as i64;
        (
            names.into_iter().collect(),
            Checked {
                people,
                half_saved,
                integrity: integrity.join("; "),
            },
        )
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        // One snapshot for every read, so the counts agree with each other.
        let mut tx = db.begin().await.unwrap();
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .unwrap();
        let names: Vec<String> = sqlx::query_scalar("SELECT family_name FROM people")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let half_saved = sqlx::query_scalar(HALF).fetch_one(&mut *tx).await.unwrap();
        let (referrals, episodes): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM referrals), (SELECT COUNT(*) FROM episodes)",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let people = names.len() as i64;
        let integrity = if referrals == people && episodes == people {
            "ok".to_string()
        } else {
            format!("{people} people, {referrals} referrals, {episodes} episodes")
        };
        (
            names.into_iter().collect(),
            Checked {
                people,
                half_saved,
                integrity,
            },
        )
    }
}

async fn crash_rounds(engine: &str, url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let token = setup(url).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut acknowledged = Vec::<String>::new();
    for round in 1..=ROUNDS {
        let mut server = start(url, dir.path(), port);
        wait_ready(&http, &base, &mut server).await;
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    base.clone(),
                    token.clone(),
                    format!("r{round}w{w}"),
                    stop.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(jitter(400, 1500)).await;
        server.kill().unwrap(); // SIGKILL, mid-write
        server.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            acknowledged.extend(w.await.unwrap());
        }
    }
    // It starts once more after the last kill, and answers.
    let mut server = start(url, dir.path(), port);
    wait_ready(&http, &base, &mut server).await;
    server.kill().unwrap();
    server.wait().unwrap();

    assert!(
        acknowledged.len() >= ROUNDS as usize,
        "too few writes to prove anything: {}",
        acknowledged.len()
    );
    let (present, checked) = check_database(url).await;
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !present.contains(*n))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(
        checked.half_saved, 0,
        "people saved without their referral or episode"
    );
    assert_eq!(checked.integrity, "ok");
    let out = Command::new(env!("CARGO_BIN_EXE_linkwork"))
        .args(["--database-url", url, "audit", "verify"])
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("intact"), "{said}");
    storage_tests::figure(&format!(
        "Crash safety on {engine}: {ROUNDS} SIGKILL rounds survived, {} acknowledged writes \
         verified ({} people in the database, {} unacknowledged but whole), integrity ok, \
         audit chain intact",
        acknowledged.len(),
        checked.people,
        checked.people - acknowledged.len() as i64
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_write_load_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_rounds("sqlite", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_write_load_loses_nothing_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let url = storage_tests::pg::fresh_database().await;
    crash_rounds("postgres", &url).await;
}
