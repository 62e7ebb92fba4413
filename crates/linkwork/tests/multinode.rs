//! Many nodes on one PostgreSQL (issue 26): three real `linkwork serve` processes started at
//! once against an empty database, Debian's nginx in front of them as the load balancer
//! (round robin, no stickiness), everything on loopback and started here. It proves:
//! the migrations ran once; each node answers through nginx; a session made on one node works
//! on every node; a write on one node is read on the others at once; a directory import is
//! found by search on every node within 15 s; the sign-in limit holds
//! across nodes; a node killed with SIGKILL under write load is routed around by nginx and
//! every acknowledged write is present and whole; PostgreSQL restarted under write load gives
//! clear 503s while it is down (never a 500 or a hang), and the nodes carry on by themselves
//! when it is back, with nothing acknowledged lost; and afterwards the audit chain verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::{Actor, NewUser};

const NGINX: &str = "/usr/sbin/nginx";
const PASSWORD: &str = "a long multinode password";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Children stopped when the test ends, however it ends: SIGTERM first (nginx's master then
/// stops its own workers, which a SIGKILL to the master would leave running), SIGKILL to any
/// still running 10 s later. Each is signalled by its own pid.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            if let Ok(None) = c.try_wait() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(c.id().to_string())
                    .status();
            }
        }
        let until = Instant::now() + Duration::from_secs(10);
        for c in &mut self.0 {
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn node(url: &str, data_dir: &Path, port: u16) -> Child {
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

/// nginx from Debian, its files in `dir`, balancing round robin over `ports`.
fn nginx(dir: &Path, listen: u16, ports: &[u16]) -> Child {
    assert!(
        Path::new(NGINX).exists(),
        "nginx is needed for the multi-node test: install Debian's `nginx` package (.ci/run does)"
    );
    let servers: String = ports
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
        .collect();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$upstream_addr $status $request_method $uri';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream linkwork {{
{servers}    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://linkwork;
            proxy_set_header Host $http_host;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            # Workers may run as another user (nginx started as root): nothing buffered to
            # the temporary folders, which are this test's.
            proxy_max_temp_file_size 0;
            client_body_buffer_size 1m;
        }}
    }}
}}
"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    Command::new(NGINX)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, base: &str, what: &str) {
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(r) = http.get(format!("{base}/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < until, "{what} not ready in 90 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A PCN, a link worker with a password and a personal API token.
async fn setup(url: &str) -> String {
    let store = linkwork::open_storage(url, 2).await.unwrap();
    let a = Actor::system("multinode-test");
    let pcn = store.create_pcn("Many Nodes PCN", "U44444").await.unwrap();
    let user = store
        .create_user(
            NewUser {
                email: "lw@multinode.example".into(),
                name: "Node Worker".into(),
                role: domain::Role::LinkWorker,
                pcn_id: Some(pcn.id),
                partner_org_id: None,
                password_hash: web::auth::hash_password(PASSWORD).unwrap(),
            },
            &a,
        )
        .await
        .unwrap();
    let token = format!("lw_{}", "4d".repeat(32));
    store
        .create_api_token(user.id, "multinode", &web::auth::sha256_hex(&token), &a)
        .await
        .unwrap();
    token
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One sign-in attempt through `base`; the session cookie when it worked.
async fn sign_in(base: &str, password: &str) -> Option<String> {
    let http = no_redirects();
    let csrf = "multinodecsrf0123456789";
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("lw_login_csrf={csrf}"))
        .form(&[
            ("_csrf", csrf),
            ("email", "lw@multinode.example"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let ok = r.status() == reqwest::StatusCode::SEE_OTHER;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lw_session="))
        .map(|v| v.split(';').next().unwrap().to_string());
    if ok {
        cookie
    } else {
        None
    }
}

fn referral(family: &str) -> serde_json::Value {
    serde_json::json!({
        "person": {"given_name": "Ada", "family_name": family,
                   "date_of_birth": "1950-03-01", "postcode": "LS7 1AA"},
        "source": "gp", "referrer_name": "Dr Test", "referrer_contact": "0113 496 0000",
        "needs": ["loneliness"], "urgency": "routine", "consent": true,
        "confirm_not_duplicate": true
    })
}

/// Sends referrals through nginx until told to stop; the family names acknowledged (2xx) and
/// how many were answered 503 (the database unreachable). A 502 (the node it went to died
/// mid-request) is not acknowledged; a 500, or no answer within 30 s, never happens.
async fn writer(
    base: String,
    token: String,
    tag: String,
    stop: Arc<AtomicBool>,
) -> (Vec<String>, usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut unavailable = 0;
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let family = format!("Node{tag}n{n}");
        match http
            .post(format!("{base}/api/v1/referrals"))
            .bearer_auth(&token)
            .json(&referral(&family))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => acknowledged.push(family),
            Ok(r) if r.status() == reqwest::StatusCode::BAD_GATEWAY => {}
            Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                unavailable += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(r) => panic!(
                "referral refused: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(e) if e.is_timeout() => panic!("no answer within 30 s: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    (acknowledged, unavailable)
}

async fn people_named(http: &reqwest::Client, base: &str, token: &str, family: &str) -> usize {
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/people?name={family}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["people"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_behind_nginx_on_one_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    // A server of this test's own, so that it can be restarted.
    let pg = storage_tests::pg::OwnServer::start().unwrap();
    {
        let mut admin = sqlx::PgConnection::connect(&pg.url("postgres"))
            .await
            .unwrap();
        sqlx::query("CREATE DATABASE multinode")
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let url = pg.url("multinode");
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    // Three nodes start at once against the empty database: the migrations run once.
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut procs = Procs(vec![]);
    for (i, p) in ports.iter().enumerate() {
        let data = dir.path().join(format!("node{i}"));
        std::fs::create_dir_all(&data).unwrap();
        procs.0.push(node(&url, &data, *p));
    }
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    for (i, b) in bases.iter().enumerate() {
        wait_ready(&http, b, &format!("node {i}")).await;
    }
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../storage-sql/migrations/postgres"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count() as i64;
    {
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        let (rows, versions): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations")
                .fetch_one(&mut db)
                .await
                .unwrap();
        assert_eq!(
            (rows, versions),
            (files, files),
            "each migration applied exactly once"
        );
    }
    let token = setup(&url).await;

    // nginx in front, round robin.
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let lb_port = free_port();
    procs.0.push(nginx(&nginx_dir, lb_port, &ports));
    let lb = format!("http://127.0.0.1:{lb_port}");
    wait_ready(&http, &lb, "nginx").await;

    // A session made through the balancer works on every node.
    let session = sign_in(&lb, PASSWORD)
        .await
        .expect("signed in through nginx");
    for (i, b) in bases.iter().enumerate() {
        let r = no_redirects()
            .get(format!("{b}/caseload"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "session on node {i}");
    }

    // A write on one node is read on the others at once.
    let r = http
        .post(format!("{}/api/v1/referrals", bases[0]))
        .bearer_auth(&token)
        .json(&referral("Onenodewrite"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    for (i, b) in bases.iter().enumerate().skip(1) {
        assert_eq!(
            people_named(&http, b, &token, "Onenodewrite").await,
            1,
            "read on node {i} at once"
        );
    }

    // A directory import (from the command line, as a scheduled feed import runs) is found by
    // search on every node within the stated time (each node checks every 10 s).
    let csv = dir.path().join("services.csv");
    std::fs::write(
        &csv,
        "service_name,organization_name,description,postcode\n\
         Kite flying for beginners,Windy Hill Friends,Make and fly a kite together on Sunday mornings,LS6 1AA\n",
    )
    .unwrap();
    let imported = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_linkwork"))
        .arg("--database-url")
        .arg(&url)
        .arg("--data-dir")
        .arg(dir.path().join("cli"))
        .args(["import", "csv"])
        .arg(&csv)
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen_after = Duration::ZERO;
    for (i, b) in bases.iter().enumerate() {
        loop {
            let v: serde_json::Value = http
                .get(format!("{b}/oruk/services?text=kite"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["contents"]
                .as_array()
                .is_some_and(|c| c.iter().any(|s| s["name"] == "Kite flying for beginners"))
            {
                seen_after = seen_after.max(imported.elapsed());
                break;
            }
            assert!(
                imported.elapsed() < Duration::from_secs(15),
                "node {i} did not find the imported service within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    // The sign-in limit holds across nodes: five wrong passwords through the balancer (spread
    // over three nodes, fewer than five each) pause the account from this address, so the
    // right password is refused next, whichever node takes it.
    for _ in 0..5 {
        assert!(sign_in(&lb, "not the password").await.is_none());
    }
    for _ in 0..3 {
        assert!(
            sign_in(&lb, PASSWORD).await.is_none(),
            "the right password is paused on every node after five failures anywhere"
        );
    }

    // Writers through nginx; one node killed with SIGKILL mid-load. nginx routes around it,
    // every acknowledged write is present and whole.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(writer(
                lb.clone(),
                token.clone(),
                format!("w{w}"),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    procs.0[1].kill().unwrap();
    procs.0[1].wait().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = vec![];
    for w in writers {
        acknowledged.extend(w.await.unwrap().0);
    }
    assert!(
        acknowledged.len() >= 20,
        "too few writes to prove anything: {}",
        acknowledged.len()
    );
    // After the kill, requests through nginx still succeed (on the two left).
    for _ in 0..6 {
        let r = http
            .get(format!("{lb}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            reqwest::StatusCode::OK,
            "routed around the dead node"
        );
    }

    // PostgreSQL restarted under write load: 503s while it is down, never a 500 or a hang;
    // the nodes reconnect by themselves and writes succeed again; nothing acknowledged lost.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(writer(
                lb.clone(),
                token.clone(),
                format!("pg{w}"),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    pg.down().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = http
        .get(format!("{lb}/api/v1/me"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(
        during.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE,
        "a clear 503 while the database is down"
    );
    pg.up().unwrap();
    let back = Instant::now();
    let resumed = loop {
        let r = http
            .post(format!("{lb}/api/v1/referrals"))
            .bearer_auth(&token)
            .json(&referral("Afterrestart"))
            .send()
            .await
            .unwrap();
        if r.status().is_success() {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "service did not resume within 30 s of the database's return: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::SeqCst);
    let mut unavailable = 0;
    let before_restart = acknowledged.len();
    for w in writers {
        let (acked, u) = w.await.unwrap();
        acknowledged.extend(acked);
        unavailable += u;
    }
    assert!(
        unavailable > 0,
        "writes during the outage were answered 503"
    );
    assert!(
        acknowledged.len() > before_restart,
        "writes were acknowledged around the restart"
    );

    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let names: HashSet<String> = sqlx::query_scalar("SELECT family_name FROM people")
        .fetch_all(&mut db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !names.contains(*n))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let half: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM people p WHERE \
         NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id) \
         OR NOT EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = p.id)",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(half, 0, "people saved without their referral or episode");

    // Every node answered through nginx (its access log names the upstream of each request).
    let log = std::fs::read_to_string(nginx_dir.join("access.log")).unwrap();
    for p in &ports {
        assert!(
            log.contains(&format!("127.0.0.1:{p} 2")),
            "node on {p} answered through nginx"
        );
    }

    // The audit chain, written by all three nodes, verifies.
    let out = Command::new(env!("CARGO_BIN_EXE_linkwork"))
        .args(["--database-url", &url, "audit", "verify"])
        .env("LINKWORK_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("intact"), "{said}");
    storage_tests::figure(&format!(
        "Multi-node: 3 nodes behind nginx on PostgreSQL, migrations once, sessions and writes \
         shared, sign-in limit across nodes, 1 node SIGKILLed and PostgreSQL restarted under \
         load ({unavailable} writes answered 503 while it was down, writes again {:.1} s after \
         it came back), an import found by search on every node within {:.1} s: {} acknowledged \
         writes all present and whole, audit chain intact",
        resumed.as_secs_f64(),
        seen_after.as_secs_f64(),
        acknowledged.len()
    ));
    drop(procs);
}
