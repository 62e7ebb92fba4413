//! Hostile input, on both engines. Every form the pages offer is found by walking every page
//! in the route table as every role, and each of its fields in turn gets every payload in the
//! corpus (script injection, SQL metacharacters, Unicode bidi overrides, zero-width and
//! combining characters, 4-byte emoji, over-long text, NUL, CR/LF, malformed dates and
//! numbers). Every JSON write in `/api/v1` gets the same through each of its fields, and a
//! set of malformed bodies. Each answer must be:
//! - never a 5xx;
//! - a refusal (4xx) that says what is wrong, and changes nothing in the database;
//! - and whatever is shown, the payload escaped, never live markup.
//!
//! "Nothing changed" is a fingerprint of every table but the audit log and token use (which
//! reads change too), taken through the backup reader after each request.
//!
//! The tests, the corpus and the fingerprint are here; the walks are in `forms` (every form
//! on every page), `json` (every JSON write) and `pages` (stored payloads shown escaped, and
//! the corpus in query strings).

mod forms;
mod json;
mod pages;

use crate::helpers::*;
use crate::matrix::{expected, world, Expect, Tenancy, CALLERS};
use forms::{forms_corpus, optional_means_optional, public_forms_corpus};
use json::json_corpus;
use pages::pages_show_payloads_escaped;
use std::hash::{DefaultHasher, Hasher};
use web::routes::Route;

/// The corpus: each is sent as the whole value of one field.
pub(crate) fn payloads() -> Vec<(&'static str, String)> {
    vec![
        ("script", "<script>alert(\"lw-xss\")</script>".into()),
        ("attribute", "\"><img src=x onerror=alert('lw-xss')>".into()),
        ("sql", "'; DROP TABLE people; --".into()),
        ("sql-or", "' OR '1'='1".into()),
        ("rtl-override", "\u{202E}gnp.exe\u{202C} Smith".into()),
        ("zero-width", "Jo\u{200B}hn\u{200C}\u{200D}\u{FEFF}".into()),
        (
            "combining",
            "Zoe\u{0301}\u{0327}\u{0308}\u{0336}\u{0489}".into(),
        ),
        ("emoji", "🧑🏽‍🌾 Ada 𝕃𝕨 😀".into()),
        ("over-long", "A".repeat(10_000)),
        ("nul", "Ann\0e".into()),
        ("crlf", "a\r\nSet-Cookie: lw_session=stolen".into()),
        ("bad-date", "2026-02-30".into()),
        ("bad-date-format", "31/13/20x".into()),
        ("negative", "-1".into()),
        ("huge-number", "99999999999999999999999".into()),
        ("not-a-number", "NaN".into()),
        ("empty", String::new()),
    ]
}

/// Markup that must never reach a page unescaped.
const LIVE: [&str; 3] = [
    "<script>alert(\"lw-xss\")",
    "<img src=x onerror",
    "lw_session=stolen\r",
];

/// The database's contents but the audit log, for "nothing changed": a sum of row hashes,
/// so the order an engine reads rows in does not matter.
#[derive(Default)]
struct Fingerprint {
    table: String,
    sum: u64,
    skip: bool,
}

impl storage::backup::DumpSink for Fingerprint {
    fn table(&mut self, name: &str) -> storage::Result<()> {
        // Reads leave their mark here (audit entries, queued or chained; a token's last use;
        // a wrong password counted against its limit); nothing else may.
        self.skip = [
            "audit_log",
            "audit_queue",
            "limit_hits",
            "api_tokens",
            "api_client_tokens",
        ]
        .contains(&name);
        self.table = name.to_string();
        Ok(())
    }
    fn row(&mut self, json: &str) -> storage::Result<()> {
        if !self.skip {
            let mut h = DefaultHasher::new();
            h.write(self.table.as_bytes());
            h.write(json.as_bytes());
            self.sum = self.sum.wrapping_add(h.finish());
        }
        Ok(())
    }
}

async fn fingerprint(app: &TestApp) -> u64 {
    let mut f = Fingerprint::default();
    app.store.dump(&mut f).await.unwrap();
    f.sum
}

fn assert_escaped(what: &str, body: &str) {
    for live in LIVE {
        assert!(
            !body.contains(live),
            "{what}: the answer holds live markup {live:?}"
        );
    }
}

/// Someone the rule lets use `route` on their own PCN's records.
fn allowed_caller(route: &Route) -> Option<&'static str> {
    CALLERS
        .into_iter()
        .flatten()
        .find(|who| expected(route, Some(who), false, Tenancy::Own) == Expect::Allowed)
}

struct Tally {
    submissions: usize,
    refused: usize,
    saved: usize,
}

async fn hostile_input(engine: Engine) {
    // The corpus goes through "current password" fields thousands of times; those failures
    // count against the account (and would pause it) like sign-in failures do, which is
    // tested in auth.rs. Here the limit is set out of reach so every role stays signed in.
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            max_failed_logins: 1_000_000,
            self_referrals_per_address: 1_000_000,
            plan_tries_per_address: 1_000_000,
            plan_codes_per_link: 1_000_000,
            ..Default::default()
        },
    )
    .await;
    let w = world(&app).await;
    let mut tally = Tally {
        submissions: 0,
        refused: 0,
        saved: 0,
    };
    let (forms, with_page, fields) = forms_corpus(&app, &w, &mut tally).await;
    let public_fields = public_forms_corpus(&app, &mut tally).await;
    let json_fields = json_corpus(&app, &w, &mut tally).await;
    let (pages, queries) = pages_show_payloads_escaped(&app, &w).await;
    storage_tests::figure(&format!(
        "Hostile input ({engine:?}): {} payloads × ({fields} fields of {forms} forms, \
         {with_page} found on pages; {public_fields} fields of public forms; and {json_fields} JSON fields) = {} requests, no 5xx; {} refused with a message and nothing \
         saved; {} saved and shown escaped on {pages} pages; {queries} page loads with the corpus in the query \
         string, no 5xx",
        payloads().len(),
        tally.submissions,
        tally.refused,
        tally.saved
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_sqlite() {
    hostile_input(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    hostile_input(Engine::Postgres).await;
}

/// A field labelled "(optional)" on any form of any page may be left empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_means_optional_on_every_form() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (forms, fields, failed) = optional_means_optional(&app, &w).await;
    storage_tests::figure(&format!(
        "Optional fields: {fields} fields labelled optional on {forms} forms, each sent empty"
    ));
    assert!(
        forms > 5,
        "only {forms} forms with optional fields were found"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Bodies over the limits are refused before any handler reads them: 256 KiB for forms and
/// JSON, 20 MiB for a directory import.
#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Signed in first: a sign-in is remembered on the account (its last sign-in).
    let mut lw = signed_in(&app, "lw").await;
    let mut manager = signed_in(&app, "manager").await;
    let before = fingerprint(&app).await;
    let big = "A".repeat(300 * 1024);
    let csrf = lw.csrf.clone();
    let page = lw
        .post_raw(
            "/referrals",
            &[("_csrf", csrf.as_str()), ("given_name", big.as_str())],
        )
        .await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "a 300 KiB form"
    );
    assert!(
        page.body.contains("up to 256 KiB in a form"),
        "{}",
        page.body
    );
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/people", app.base))
        .bearer_auth(&w.tokens["lw"].0)
        .header("content-type", "application/json")
        .body(format!("{{\"given_name\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "300 KiB of JSON"
    );
    let huge = vec![b'x'; 21 * 1024 * 1024];
    let page = manager
        .upload("/directory/import", "services.csv", &huge)
        .await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "a 21 MiB import"
    );
    let fine = manager
        .upload("/directory/import", "services.csv", &vec![b'x'; 300 * 1024])
        .await;
    assert_ne!(
        fine.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "imports take more than forms"
    );
    assert!(!fine.status.is_server_error(), "{}", fine.status);
    assert_eq!(fingerprint(&app).await, before, "nothing saved");
}

/// Slow clients hold nothing: headers not sent within the header timeout close the
/// connection; a body trickled past the request timeout gets 503, the connection closed.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = web::WebConfig {
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let read_all = async |s: &mut tokio::net::TcpStream| {
        let mut got = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await;
        String::from_utf8_lossy(&got).into_owned()
    };

    // Headers that never finish.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: linkwork\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_all(&mut slow).await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the connection was held for {waited:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // A body that never finishes.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /login HTTP/1.1\r\nHost: linkwork\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nemail=lw%40",
    )
    .await
    .unwrap();
    let answer = read_all(&mut slow).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("That took too long"), "{answer}");

    // Everyone else is still served.
    let mut b = Browser::new(&app);
    assert_eq!(b.get("/health").await.status, reqwest::StatusCode::OK);
}
