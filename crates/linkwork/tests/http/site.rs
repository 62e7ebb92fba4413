//! The site as a browser meets it: the icon, and page addresses typed with a trailing slash.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favicon_and_trailing_slashes() {
    let app = spawn_app().await;
    let mut b = signed_in(&app, "lw").await;
    let icon = b.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers["content-type"], "image/x-icon");
    // A trailing slash goes to the page, keeping the query.
    let r = b.get("/caseload/").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.location.as_deref(), Some("/caseload"));
    let r = b.get("/people/?name=Ann").await;
    assert_eq!(r.location.as_deref(), Some("/people?name=Ann"));
    assert_eq!(b.get("/caseload").await.status, StatusCode::OK);
    // Never off the site; an unknown address is still not found.
    for path in ["//evil.example/", "/%5Cevil.example/", "/no-such-page"] {
        let r = b.get(path).await;
        assert!(
            r.location
                .as_deref()
                .is_none_or(|l| l.starts_with('/') && !l.starts_with("//")),
            "{path}: {:?}",
            r.location
        );
    }
    assert_eq!(b.get("/no-such-page").await.status, StatusCode::NOT_FOUND);
    // The ORUK API's own trailing-slash list is a route, not a redirect.
    assert_eq!(b.get("/oruk/services/").await.status, StatusCode::OK);
}

/// On a phone the menu is one line: the first four pages and "More", which lists every page
/// of the role's menu.
#[tokio::test]
async fn the_phone_menu_shows_the_first_pages_and_more() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    let page = lw.get("/caseload").await;
    let nav = page
        .body
        .split("<nav class=\"nav\"")
        .nth(1)
        .and_then(|n| n.split("</nav>").next())
        .unwrap()
        .to_string();
    let items = nav.matches("<li").count();
    assert!(items > 5, "{nav}");
    assert_eq!(
        nav.matches("class=\"nav__overflow\"").count(),
        items - 1 - 4 - usize::from(nav.contains("nav__overflow\"><a href=\"/caseload\"")),
        "all but the first four (and the page you are on) fold on a phone: {nav}"
    );
    assert!(nav.contains("<li class=\"nav__more\"><a href=\"/menu\">More"));
    let menu = lw.get("/menu").await;
    assert_eq!(menu.status, StatusCode::OK);
    for href in nav
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .filter(|h| *h != "/menu")
    {
        assert!(
            menu.body.contains(&format!("<li><a href=\"{href}\">")),
            "{href} on the menu page"
        );
    }
}
