//! Writing the directory as an ORUK 3.0 feed: only public, unretired services, each fully
//! nested, optional empty fields omitted.

use crate::oruk::{Page, Service};
use crate::Entry;

/// Whether a service appears in the public ORUK feed.
pub fn published(e: &Entry) -> bool {
    e.listing.public && !e.listing.is_retired()
}

/// The ORUK form of a stored service (Linkwork's listing facts are not part of it).
pub fn oruk_service(e: &Entry) -> Service {
    let mut s = e.service.clone();
    if s.last_modified.is_none() {
        s.last_modified = Some(
            e.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
    }
    s
}

/// The whole feed as one page of fully nested services.
pub fn feed(entries: &[Entry]) -> Page<Service> {
    let services: Vec<Service> = entries
        .iter()
        .filter(|e| published(e))
        .map(oruk_service)
        .collect();
    let n = services.len() as u64;
    Page::new(services, n, 1, n.max(1))
}
