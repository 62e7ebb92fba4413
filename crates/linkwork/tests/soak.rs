//! A bounded load soak on loopback: the real `linkwork serve` binary over a demo PCN, many
//! signed-in link workers' sessions at once sending a realistic mix (today page, caseload,
//! person pages, directory search, one in ten a new referral) for `LINKWORK_SOAK_SECONDS`
//! (default 20). Every answer must be the page or redirect expected, and the server's
//! memory must level off rather than grow. Figures are printed (docs/security.md keeps a
//! longer run's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "http/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{referral_fields, Browser};
use reqwest::StatusCode;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SESSIONS: usize = 40;

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// One session's traffic until `stop`: (latencies, unexpected answers).
async fn session(
    mut b: Browser,
    tag: usize,
    stop: Arc<AtomicBool>,
) -> (Vec<Duration>, Vec<String>) {
    let caseload = b.get("/caseload").await;
    let people: Vec<String> = caseload
        .body
        .split("href=\"/people/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .map(String::from)
        .collect();
    let (mut took, mut wrong) = (Vec::new(), Vec::new());
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let started = Instant::now();
        let (what, page, want) = match n % 10 {
            0..=2 => ("today".to_string(), b.get("/today").await, StatusCode::OK),
            3 | 4 => ("caseload".into(), b.get("/caseload").await, StatusCode::OK),
            5..=7 if !people.is_empty() => {
                let id = &people[n % people.len()];
                (
                    format!("person {id}"),
                    b.get(&format!("/people/{id}")).await,
                    StatusCode::OK,
                )
            }
            5..=8 => (
                "directory search".into(),
                b.get("/directory?q=walk").await,
                StatusCode::OK,
            ),
            _ => {
                let family = format!("Soak{tag}n{n}");
                // Many Robins born the same day: each is said to be a new person, as the
                // referral form's duplicate check asks.
                let mut fields = referral_fields("Robin", &family, true);
                fields.push(("duplicate", "new"));
                let page = b.post("/referrals", &fields).await;
                ("referral".into(), page, StatusCode::SEE_OTHER)
            }
        };
        took.push(started.elapsed());
        if page.status != want {
            wrong.push(format!("{what}: {} (wanted {want})", page.status));
        }
    }
    (took, wrong)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_mixed_traffic_on_sqlite() {
    let seconds: u64 = std::env::var("LINKWORK_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let (_dir, mut server, base) = demo_server(200).await;
    let pid = server.id();

    let workers: Vec<_> = linkwork::demo::LOGINS
        .iter()
        .filter(|(role, ..)| *role == domain::Role::LinkWorker)
        .collect();
    let mut browsers = Vec::new();
    for i in 0..SESSIONS {
        let (_, email, password, _) = workers[i % workers.len()];
        let mut b = Browser::at(&base);
        let page = b.sign_in(email, password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in {i}");
        browsers.push(b);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let rss_stop = stop.clone();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        while !rss_stop.load(Ordering::Relaxed) {
            if let Some(kib) = rss_kib(pid) {
                samples.push(kib);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        samples
    });
    let started = Instant::now();
    let tasks: Vec<_> = browsers
        .into_iter()
        .enumerate()
        .map(|(i, b)| tokio::spawn(session(b, i, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut took, mut wrong) = (Vec::new(), Vec::new());
    for t in tasks {
        let (a, b) = t.await.unwrap();
        took.extend(a);
        wrong.extend(b);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = sampler.await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();

    assert!(
        wrong.is_empty(),
        "{} unexpected answers, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    assert!(took.len() > SESSIONS, "only {} requests", took.len());
    took.sort();
    // Memory levels off: the last third of the run is not much above the first third.
    let third = (samples.len() / 3).max(1);
    let mean = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len().max(1) as f64 / 1024.0;
    let early = mean(&samples[..third]);
    let late = mean(&samples[samples.len() - third..]);
    let peak = samples.iter().max().copied().unwrap_or(0) as f64 / 1024.0;
    assert!(
        late <= early * 1.3 + 16.0,
        "server memory kept growing: {early:.0} MiB early, {late:.0} MiB late"
    );
    storage_tests::figure(&format!(
        "Load soak (sqlite, {} build): {SESSIONS} sessions for {seconds} s, {} requests ({:.0}/s), \
         0 errors; p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; server RSS {early:.0} MiB early, \
         {late:.0} MiB late, peak {peak:.0} MiB",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        took.len(),
        took.len() as f64 / elapsed,
        percentile(&took, 0.50),
        percentile(&took, 0.95),
        percentile(&took, 0.99),
    ));
}

/// A demo PCN of `people` served by the real binary on a free loopback port.
async fn demo_server(people: u32) -> (tempfile::TempDir, std::process::Child, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_linkwork");
    let seeded = Command::new(bin)
        .args([
            "demo",
            "--no-serve",
            "--people",
            &people.to_string(),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let db = dir.path().join("demo.db");
    let (server, base) = serve(&db, dir.path()).await;
    (dir, server, base)
}

/// Serves the database at `db` on a free loopback port; waits until it is ready.
async fn serve(db: &std::path::Path, data_dir: &std::path::Path) -> (std::process::Child, String) {
    let bin = env!("CARGO_BIN_EXE_linkwork");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new(bin)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", &format!("127.0.0.1:{port}"), "serve"])
        .env("LINKWORK_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = reqwest::get(format!("{base}/ready")).await;
        if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        assert!(Instant::now() < until, "linkwork serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, base)
}

/// The scale benchmarks at a small scale, as CI's smoke test: `bench-data` makes two PCNs
/// that sign-ins and storage both see as separate, `bench load` runs the mix on them with no
/// errors and prints its figures per route and the person page's database time, and
/// `bench reports` opens each PCN's year.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_smoke_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_linkwork");
    let db = dir.path().join("bench.db");
    let url = format!("sqlite://{}", db.display());
    let made = Command::new(bin)
        .args([
            "bench-data",
            "--scale",
            "pcn",
            "--pcns",
            "2",
            "--people",
            "60",
        ])
        .args(["--services", "300", "--db", &url])
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(
        made.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let row = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no count of {name}:\n{text}"))
    };
    assert_eq!(row("pcns"), 2);
    assert_eq!(row("people"), 120, "60 people in each PCN");
    assert_eq!(
        row("dir_services"),
        322,
        "300 generated, the 6 fixed ones (the walkthrough's 3 walks and 3 groups) and the demo partner feed's 16"
    );
    assert!(row("contacts") > 120, "{text}");
    // The copy is a PCN of its own: its own accounts, people and NHS numbers.
    {
        let store = linkwork::open_storage(&url, 1).await.unwrap();
        let pcns = store.list_pcns().await.unwrap();
        assert_eq!(pcns.len(), 2);
        let users = store.list_users(Some(pcns[1].id)).await.unwrap();
        assert!(
            users
                .iter()
                .any(|u| u.email == "sam.okafor+pcn1@linkwork.example"),
            "{:?}",
            users.iter().map(|u| &u.email).collect::<Vec<_>>()
        );
        let mut numbers = std::collections::BTreeSet::new();
        let mut people = 0;
        for pcn in &pcns {
            for u in store.list_users(Some(pcn.id)).await.unwrap() {
                for r in store
                    .caseload(pcn.id, u.id, &storage::CaseloadFilter::default())
                    .await
                    .unwrap()
                {
                    let p = store
                        .get_person(pcn.id, r.person_id)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(p.pcn_id, pcn.id);
                    people += 1;
                    if let Some(n) = p.details.nhs_number {
                        assert!(numbers.insert(n.to_string()), "NHS number {n} twice");
                    }
                }
            }
        }
        assert!(people > 10, "people on caseloads in both PCNs");
    }
    let (mut server, base) = serve(&db, dir.path()).await;
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_linkwork"))
            .args(args)
            .env("LINKWORK_LOG", "warn")
            .output()
            .await
            .unwrap()
    };
    let load = run(vec![
        "bench".into(),
        "load".into(),
        "--url".into(),
        base.clone(),
        "--users".into(),
        "8".into(),
        "--duration".into(),
        "5".into(),
        "--pcns".into(),
        "2".into(),
        "--db".into(),
        url.clone(),
        "--pid".into(),
        server.id().to_string(),
    ])
    .await;
    let reports = run(vec![
        "bench".into(),
        "reports".into(),
        "--url".into(),
        base.clone(),
        "--pcns".into(),
        "2".into(),
    ])
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
    let text = String::from_utf8_lossy(&load.stdout);
    assert!(
        load.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&load.stderr)
    );
    for route in [
        "GET /today",
        "GET /caseload",
        "GET /people/{id}",
        "GET /directory?q=",
        "GET /episodes/{id}/match",
        "POST /episodes/{id}/contacts",
    ] {
        assert!(text.contains(route), "no figures for {route}:\n{text}");
    }
    let summary = text
        .lines()
        .find(|l| l.contains("requests/s from"))
        .unwrap();
    assert!(summary.ends_with(", 0 errors"), "{summary}");
    let db_time = text
        .lines()
        .find(|l| l.starts_with("Person page, database only"))
        .unwrap_or_else(|| panic!("no database time:\n{text}"));
    storage_tests::figure(&format!(
        "Bench load smoke (debug build, 2 generated PCNs of 60 people): {summary}; {db_time}"
    ));
    let text = String::from_utf8_lossy(&reports.stdout);
    assert!(
        reports.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&reports.stderr)
    );
    let total = text
        .lines()
        .find(|l| l.starts_with("Every PCN's year"))
        .unwrap_or_else(|| panic!("no report figure:\n{text}"));
    storage_tests::figure(&format!("Bench reports smoke (debug build): {total}"));
}
