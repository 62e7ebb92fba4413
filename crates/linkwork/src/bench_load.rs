//! `linkwork bench load`: a bounded load run against a Linkwork on this machine, as signed-in
//! link workers doing their day: the Today page, their caseload, a person's page, directory
//! search, matching for a person, and recording a contact (about one request in ten a write).
//! Prints throughput and p50/p95/p99 per route, errors, the server's peak memory (given its
//! pid), and the same load against `/health` (no database) as the ceiling.

use anyhow::{bail, Context, Result};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to run.
pub struct LoadPlan {
    pub url: String,
    pub users: usize,
    pub duration: Duration,
    /// The server's process id, for its memory.
    pub pid: Option<u32>,
    /// Sign-ins to share out among the users (email, password).
    pub logins: Vec<(String, String)>,
    /// The server's database, to time the person page's queries without HTTP.
    pub db: Option<String>,
    /// How many PCNs the sign-ins come from (for the database timing's sample).
    pub pcns: u32,
}

/// One route's answers.
#[derive(Default)]
struct RouteStats {
    took: Vec<Duration>,
    errors: u64,
}

/// A signed-in session: its cookies and the CSRF token pages carry.
struct Session {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    csrf: String,
}

fn attr_after<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let i = html.find(marker)? + marker.len();
    html[i..].split('"').next()
}

impl Session {
    fn new(base: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()?,
            cookies: HashMap::new(),
            csrf: String::new(),
        })
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<(StatusCode, String)> {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header(COOKIE, cookie).send().await?;
        for v in res.headers().get_all(SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            let kv = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = kv.split_once('=') {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status();
        let body = res.text().await?;
        if let Some(t) = attr_after(&body, "name=\"_csrf\" value=\"") {
            self.csrf = t.to_string();
        }
        Ok((status, body))
    }

    async fn get(&mut self, path: &str) -> Result<(StatusCode, String)> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<(StatusCode, String)> {
        let csrf = self.csrf.clone();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded(&all);
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Result<()> {
        self.get("/login").await?;
        let token = self
            .cookies
            .get(web::auth::LOGIN_CSRF_COOKIE)
            .cloned()
            .unwrap_or_default();
        let body = serde_urlencoded(&[
            ("_csrf", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/"),
        ]);
        let req = self
            .http
            .post(format!("{}/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let (status, _) = self.send(req).await?;
        if status != StatusCode::SEE_OTHER {
            bail!("signing in as {email} failed ({status}): check the logins");
        }
        self.get("/settings").await?;
        Ok(())
    }
}

fn serde_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Ids in links of the form `prefix{digits}`.
fn ids(html: &str, prefix: &str) -> Vec<String> {
    html.split(prefix)
        .skip(1)
        .filter_map(|s| {
            let id: String = s.chars().take_while(char::is_ascii_digit).collect();
            (!id.is_empty()).then_some(id)
        })
        .collect()
}

type Stats = BTreeMap<&'static str, RouteStats>;

/// One link worker's loop until `stop`.
async fn worker(mut s: Session, n0: usize, stop: Arc<AtomicBool>) -> Stats {
    let mut stats = Stats::new();
    let people = match s.get("/caseload").await {
        Ok((_, body)) => ids(&body, "href=\"/people/"),
        Err(_) => Vec::new(),
    };
    let mut n = n0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let person = (!people.is_empty()).then(|| people[n % people.len()].clone());
        let started = Instant::now();
        let (route, result) = match (n % 20, &person) {
            (0..=4, _) => ("GET /today", s.get("/today").await),
            (5..=7, _) => ("GET /caseload", s.get("/caseload").await),
            (8..=12, Some(p)) => ("GET /people/{id}", s.get(&format!("/people/{p}")).await),
            (13..=15, _) => (
                "GET /directory?q=",
                s.get(&format!(
                    "/directory?q={}",
                    ["walk", "garden", "choir", "money"][n % 4]
                ))
                .await,
            ),
            (16, Some(p)) | (17, Some(p)) => match episode_of(&mut s, &mut stats, p).await {
                Some(ep) => (
                    "GET /episodes/{id}/match",
                    s.get(&format!("/episodes/{ep}/match")).await,
                ),
                None => continue,
            },
            (_, Some(p)) => {
                let Some(ep) = episode_of(&mut s, &mut stats, p).await else {
                    continue;
                };
                let form = timed_get(
                    &mut s,
                    &mut stats,
                    "GET /episodes/{id}/contacts/new",
                    &format!("/episodes/{ep}/contacts/new"),
                )
                .await;
                let Some(version) = attr_after(&form, "name=\"version\" value=\"") else {
                    continue;
                };
                let version = version.to_string();
                let now = chrono::Utc::now();
                let (date, time) = (
                    now.format("%Y-%m-%d").to_string(),
                    now.format("%H:%M").to_string(),
                );
                let started = Instant::now();
                let r = s
                    .post(
                        &format!("/episodes/{ep}/contacts"),
                        &[
                            ("version", &version),
                            ("contact_type", "telephone"),
                            ("date", &date),
                            ("time", &time),
                            ("duration_minutes", "15"),
                            ("present", "person"),
                            ("notes", "Load test: called to check in"),
                        ],
                    )
                    .await;
                record(
                    &mut stats,
                    "POST /episodes/{id}/contacts",
                    started,
                    r,
                    StatusCode::SEE_OTHER,
                );
                continue;
            }
            _ => ("GET /today", s.get("/today").await),
        };
        record(&mut stats, route, started, result, StatusCode::OK);
    }
    stats
}

/// A person's episode, from their page (the page load counted like any other).
async fn episode_of(s: &mut Session, stats: &mut Stats, person: &str) -> Option<String> {
    let page = timed_get(s, stats, "GET /people/{id}", &format!("/people/{person}")).await;
    ids(&page, "href=\"/episodes/").into_iter().next()
}

/// A GET on the way to something else, counted like any other; returns the page.
async fn timed_get(s: &mut Session, stats: &mut Stats, route: &'static str, path: &str) -> String {
    let started = Instant::now();
    let r = s.get(path).await;
    let body = r.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
    record(stats, route, started, r, StatusCode::OK);
    body
}

fn record(
    stats: &mut Stats,
    route: &'static str,
    started: Instant,
    result: Result<(StatusCode, String)>,
    want: StatusCode,
) {
    let e = stats.entry(route).or_default();
    e.took.push(started.elapsed());
    match result {
        // Two people recording a contact on one episode at once: the second is told (409).
        Ok((s, _)) if s == want || (want == StatusCode::SEE_OTHER && s == StatusCode::CONFLICT) => {
        }
        _ => e.errors += 1,
    }
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    ms(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

/// Refuses anything but this machine: load runs stay on loopback.
fn loopback(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .context("the URL must start with http:// (load runs stay on this machine)")?;
    let host = rest.split(['/', ':']).next().unwrap_or("");
    let host = if rest.starts_with('[') {
        rest.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host
    };
    if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        bail!("load runs only against this machine (127.0.0.1, localhost or [::1]), not {host}");
    }
    Ok(())
}

/// Runs the plan and prints the figures; fails if any request failed.
pub async fn run(plan: LoadPlan) -> Result<()> {
    loopback(&plan.url)?;
    if plan.logins.is_empty() {
        bail!("no logins to sign in with");
    }
    println!(
        "Signing in {} users at {} (from {} accounts) …",
        plan.users,
        plan.url,
        plan.logins.len()
    );
    let mut sessions = Vec::with_capacity(plan.users);
    for i in 0..plan.users {
        let (email, password) = &plan.logins[i % plan.logins.len()];
        let mut s = Session::new(&plan.url)?;
        s.sign_in(email, password).await?;
        sessions.push(s);
    }

    // The ceiling: the same number of clients on a route that does no database work.
    let ceiling = {
        let stop = Arc::new(AtomicBool::new(false));
        let secs = (plan.duration.as_secs_f64() / 4.0).clamp(1.0, 10.0);
        let tasks: Vec<_> = (0..plan.users)
            .map(|_| {
                let stop = stop.clone();
                let url = format!("{}/health", plan.url.trim_end_matches('/'));
                tokio::spawn(async move {
                    let http = reqwest::Client::new();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        if http
                            .get(&url)
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success())
                        {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let mut n = 0;
        for t in tasks {
            n += t.await?;
        }
        n as f64 / secs
    };

    println!(
        "Running the link-worker mix for {} s …",
        plan.duration.as_secs()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = plan.pid.map(|pid| {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_mib(pid).unwrap_or(0.0));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            peak
        })
    });
    let started = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, s)| tokio::spawn(worker(s, i * 7, stop.clone())))
        .collect();
    tokio::time::sleep(plan.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Stats::new();
    for t in tasks {
        for (route, s) in t.await? {
            let e = all.entry(route).or_default();
            e.took.extend(s.took);
            e.errors += s.errors;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let peak = match sampler {
        Some(s) => Some(s.await?),
        None => None,
    };

    let total: usize = all.values().map(|s| s.took.len()).sum();
    let errors: u64 = all.values().map(|s| s.errors).sum();
    let writes = all
        .iter()
        .filter(|(r, _)| r.starts_with("POST"))
        .map(|(_, s)| s.took.len())
        .sum::<usize>();
    println!();
    println!(
        "{:<32} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "route", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
    );
    for (route, s) in &mut all {
        s.took.sort();
        println!(
            "{:<32} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7}",
            route,
            s.took.len(),
            pct(&s.took, 0.50),
            pct(&s.took, 0.95),
            pct(&s.took, 0.99),
            s.took.last().map_or(0.0, |d| ms(*d)),
            s.errors
        );
    }
    let rate = total as f64 / elapsed;
    println!();
    println!(
        "{total} requests in {elapsed:.1} s = {rate:.0} requests/s from {} users ({:.0}% writes), {errors} errors",
        plan.users,
        100.0 * writes as f64 / total.max(1) as f64
    );
    println!(
        "Ceiling (GET /health, no database, same clients): {ceiling:.0} requests/s; the mix runs at {:.0}% of it",
        100.0 * rate / ceiling.max(1.0)
    );
    if let Some(peak) = peak {
        println!("Server peak memory (RSS): {peak:.0} MiB");
    }
    if let Some(url) = &plan.db {
        person_page_db_time(url, plan.pcns).await?;
    }
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// The raw database time of the person page: the same storage calls the page makes, one
/// at a time, for the people on the caseloads of the first `pcns` PCNs, without HTTP,
/// sign-in, audit or rendering.
async fn person_page_db_time(url: &str, pcns: u32) -> Result<()> {
    let store = crate::open_storage(url, 2).await?;
    let mut people = Vec::new();
    for pcn in store
        .list_pcns()
        .await?
        .into_iter()
        .take(pcns.max(1) as usize)
    {
        for u in store.list_users(Some(pcn.id)).await? {
            if u.role == domain::Role::LinkWorker {
                let rows = store
                    .caseload(pcn.id, u.id, &storage::CaseloadFilter::default())
                    .await?;
                people.extend(rows.iter().take(40).map(|r| (pcn.id, r.person_id)));
            }
        }
    }
    if people.is_empty() {
        bail!("nobody on a caseload in the database to time the person page with");
    }
    let mut took = Vec::with_capacity(people.len());
    for (pcn, id) in &people {
        let started = Instant::now();
        let person = store.get_person(*pcn, *id).await?;
        let _ = store.list_practices(*pcn).await?;
        let _ = store.list_users(Some(*pcn)).await?;
        let _ = store.referrals_for_person(*pcn, *id).await?;
        let _ = store.episodes_for_person(*pcn, *id).await?;
        let _ = store.contacts_for_person(*pcn, *id).await?;
        let _ = store.records_for_person(*pcn, *id).await?;
        let _ = store.connections_for_person(*pcn, *id).await?;
        let _ = store.coding_for_person(*pcn, *id).await?;
        let _ = store.timeline(*pcn, *id).await?;
        took.push(started.elapsed());
        if person.is_none() {
            bail!("person {id} of PCN {pcn} is on a caseload but cannot be read");
        }
    }
    took.sort();
    println!(
        "Person page, database only (10 storage calls, one page at a time, {} people): \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        took.len(),
        pct(&took, 0.50),
        pct(&took, 0.99),
        took.last().map_or(0.0, |d| ms(*d))
    );
    Ok(())
}

/// The reports the scale targets name: referrals with waiting times, caseloads with contacts
/// per episode, and outcome change.
const NAMED_REPORTS: [(&str, &str); 3] = [
    ("/reports/referrals", "Referrals and waiting times"),
    ("/reports/caseloads", "Caseloads and contacts"),
    ("/reports/outcomes", "Wellbeing outcomes"),
];

/// `linkwork bench reports`: each PCN's manager opens the last 12 months' reports, one PCN
/// after another, twice over: first the three reports the targets name (referrals and
/// waiting times, caseloads and contacts per episode, outcomes), then every report on the
/// printable page, the heaviest a manager can ask for.
pub async fn reports(url: &str, logins: &[(String, String)]) -> Result<()> {
    loopback(url)?;
    println!(
        "Opening the last 12 months' reports as {} managers at {url} …",
        logins.len()
    );
    let mut sessions = Vec::new();
    for (email, password) in logins {
        let mut s = Session::new(url)?;
        s.sign_in(email, password).await?;
        sessions.push((email, s));
    }
    // took[kind][pass]: per PCN, kind 0 the three named reports, kind 1 the printable page.
    let mut took: [Vec<Vec<Duration>>; 2] = Default::default();
    for _pass in 0..2 {
        let (mut named, mut print) = (Vec::new(), Vec::new());
        for (email, s) in &mut sessions {
            let started = Instant::now();
            for (path, expect) in NAMED_REPORTS {
                let (status, body) = s.get(path).await?;
                if status != StatusCode::OK || !body.contains(expect) {
                    bail!("{path} failed for {email} ({status})");
                }
            }
            named.push(started.elapsed());
            let started = Instant::now();
            let (status, body) = s.get("/reports/print").await?;
            if status != StatusCode::OK || !body.contains("Social prescribing report") {
                bail!("the printable report failed for {email} ({status})");
            }
            print.push(started.elapsed());
        }
        took[0].push(named);
        took[1].push(print);
    }
    let total = |times: &[Duration]| times.iter().sum::<Duration>().as_secs_f64();
    let kinds = [
        "Referrals, caseloads and outcomes (3 pages)",
        "Every report (the printable page)",
    ];
    for (what, passes) in kinds.iter().zip(&took) {
        println!("{what}, per PCN:");
        for (pass, times) in ["first", "again"].iter().zip(passes) {
            let mut sorted = times.clone();
            sorted.sort();
            println!(
                "  {pass:<6} p50 {:.0} ms, max {:.0} ms, all {} PCNs one after another {:.2} s",
                pct(&sorted, 0.50),
                sorted.last().map_or(0.0, |d| ms(*d)),
                sorted.len(),
                total(&sorted)
            );
        }
    }
    println!(
        "Every PCN's year, one after another (first pass): {:.2} s for the three named reports, \
         {:.2} s for every report, {} PCNs",
        total(&took[0][0]),
        total(&took[1][0]),
        logins.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_runs_stay_on_this_machine() {
        assert!(loopback("http://127.0.0.1:8080").is_ok());
        assert!(loopback("http://localhost:8080/").is_ok());
        assert!(loopback("http://[::1]:8080").is_ok());
        assert!(loopback("http://example.org").is_err());
        assert!(loopback("https://127.0.0.1").is_err());
        assert!(loopback("http://127.0.0.1.example.org").is_err());
    }

    #[test]
    fn ids_are_read_from_links() {
        let html =
            r#"<a href="/people/12">A</a> <a href="/people/7?tab=x">B</a> <a href="/people/new">"#;
        assert_eq!(ids(html, "href=\"/people/"), vec!["12", "7"]);
    }
}
