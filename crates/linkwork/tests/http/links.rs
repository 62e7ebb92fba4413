//! Links a role cannot follow are not shown to it: every page each role may open is read,
//! and every link on it to another Linkwork page is followed as that role. None may answer
//! 403 (a link that leads to "you do not have permission").

use crate::helpers::*;
use crate::matrix::{concrete, expected, world, Expect, Tenancy, CALLERS};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use web::routes::{Access, Method};

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/static/"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_link_shown_can_be_followed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let table = web::routes::table();
    let mut refused = vec![];
    let mut followed = 0;
    for who in CALLERS.into_iter().flatten() {
        let mut b = signed_in(&app, who).await;
        let mut seen = BTreeSet::new();
        let mut shapes = std::collections::BTreeMap::new();
        for route in &table {
            if route.method != Method::Get
                || !matches!(route.rule.access, Access::Session(_))
                || expected(route, Some(who), false, Tenancy::Own) != Expect::Allowed
            {
                continue;
            }
            let page_path = concrete(route, &w, Some(who), Tenancy::Own);
            let page = b.get(&page_path).await;
            if page.status != StatusCode::OK
                || !page.headers["content-type"]
                    .to_str()
                    .unwrap_or("")
                    .starts_with("text/html")
            {
                continue;
            }
            for link in links(&page.body) {
                let shape: String = link
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '9' } else { c })
                    .collect();
                // Every distinct link, but at most a few of each shape (ids differ).
                let n = shapes.entry(shape).or_insert(0usize);
                if link.starts_with("/logout") || *n >= 4 || !seen.insert(link.clone()) {
                    continue;
                }
                *n += 1;
                followed += 1;
                let r = b.get(&link).await;
                if r.status == StatusCode::FORBIDDEN {
                    refused.push(format!(
                        "{who}: {page_path} links to {link}, which refuses them"
                    ));
                }
            }
        }
    }
    storage_tests::figure(&format!(
        "Links: {followed} distinct links followed from every page of every role, none refused"
    ));
    assert!(followed > 100, "only {followed} links followed");
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
