//! The link-worker mix each simulated user runs: Today, caseload, a person's page,
//! directory search, matching and recording a contact, each request timed by route.

use super::session::{attr_after, Session};
use super::Stats;
use anyhow::Result;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

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

/// One link worker's loop until `stop`.
pub(super) async fn worker(mut s: Session, n0: usize, stop: Arc<AtomicBool>) -> Stats {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_links() {
        let html =
            r#"<a href="/people/12">A</a> <a href="/people/7?tab=x">B</a> <a href="/people/new">"#;
        assert_eq!(ids(html, "href=\"/people/"), vec!["12", "7"]);
    }
}
