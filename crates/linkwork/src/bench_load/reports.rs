//! `linkwork bench reports`: managers opening the last 12 months' reports, timed per PCN.

use super::session::Session;
use super::{loopback, ms, pct};
use anyhow::{bail, Result};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

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
