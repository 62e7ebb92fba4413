//! Every page each role can open after the corpus, stored payloads shown escaped; then the
//! corpus in each page's query parameters.

use super::{assert_escaped, payloads};
use crate::helpers::*;
use crate::matrix::{concrete, expected, Expect, Tenancy, World, CALLERS};
use web::routes::{Access, Method};

/// The query parameters Linkwork's pages read.
pub(super) const QUERY_NAMES: [&str; 9] = [
    "q", "name", "from", "to", "period", "page", "status", "category", "postcode",
];

/// Every page each role can open, after the corpus: stored payloads shown escaped; then each
/// page with the corpus in its query parameters. Returns (pages, queries).
pub(super) async fn pages_show_payloads_escaped(app: &TestApp, w: &World) -> (usize, usize) {
    let (mut pages, mut queries) = (0, 0);
    for who in CALLERS.into_iter().flatten() {
        let mut b = signed_in(app, who).await;
        for route in web::routes::table() {
            if route.method != Method::Get
                || !matches!(route.rule.access, Access::Session(_))
                || expected(&route, Some(who), false, Tenancy::Own) != Expect::Allowed
            {
                continue;
            }
            let path = concrete(&route, w, Some(who), Tenancy::Own);
            let page = b.get(&path).await;
            assert!(
                !page.status.is_server_error(),
                "GET {path} as {who}: {}",
                page.status
            );
            assert_escaped(&format!("GET {path} as {who}"), &page.body);
            pages += 1;
            // The corpus in the query parameters pages read (search, filters, periods).
            for (label, payload) in payloads() {
                // Addresses stay under what clients send (the over-long case: 1,000 each).
                let payload: String = payload.chars().take(1000).collect();
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(QUERY_NAMES.iter().map(|n| (*n, payload.as_str())))
                    .finish();
                let sep = if path.contains('?') { '&' } else { '?' };
                let url = format!("{path}{sep}{query}");
                let what = format!("GET {path} as {who}, query = {label}");
                let page = b.get(&url).await;
                queries += 1;
                assert!(!page.status.is_server_error(), "{what}: {}", page.status);
                assert_escaped(&what, &page.body);
                if label == "nul" {
                    assert!(page.status.is_client_error(), "{what}");
                    assert!(page.body.contains("NUL character"), "{what}");
                }
            }
        }
    }
    (pages, queries)
}
