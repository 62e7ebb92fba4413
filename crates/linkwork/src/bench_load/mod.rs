//! `linkwork bench load`: a bounded load run against a Linkwork on this machine, as signed-in
//! link workers doing their day: the Today page, their caseload, a person's page, directory
//! search, matching for a person, and recording a contact (about one request in ten a write).
//! Prints throughput and p50/p95/p99 per route, errors, the server's peak memory (given its
//! pid), and the same load against `/health` (no database) as the ceiling.

mod mix;
mod reports;
mod session;

use mix::worker;
pub use reports::reports;
use session::Session;

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
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

type Stats = BTreeMap<&'static str, RouteStats>;

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
}
