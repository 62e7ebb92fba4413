//! The authorisation matrix: every route of the route table (`web::routes::table()`) ×
//! every caller (anonymous, each role by session, each role by API token) × the record's
//! tenant (the caller's own PCN or partner organisation, and another), checked against
//! the route's declared rule on the real server. FHIR routes take their scopes from the
//! same table in `fhir.rs`. A route added without fixtures for its `{id}` fails here.
//!
//! The tests are here; the records every route can name are made in `world`, what the rule
//! says each caller gets is in `rules`, and how a caller asks is in `calls`.

mod calls;
mod rules;
mod world;

use crate::helpers::*;
use calls::{call, concrete_with, last_audit_seq};
pub(crate) use calls::{concrete, snapshot};
use reqwest::StatusCode;
pub(crate) use rules::{expected, Expect, Tenancy, CALLERS};
use rules::{matches, touches_people};
use std::collections::HashMap;
use web::routes::{Access, Method, Target};
pub(crate) use world::{world, Records, World};

async fn authorisation_matrix(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let pcn_b = app.store.list_pcns().await.unwrap()[1].id;
    let before = snapshot(&app, pcn_b, &w.other).await;
    let mut table = web::routes::table();
    // Sign-out last, so each caller's session lasts the whole walk.
    table.sort_by_key(|r| r.path == "/logout");
    let mut sessions: HashMap<Option<&str>, Browser> = HashMap::new();
    let mut csrf: HashMap<Option<&str>, String> = HashMap::new();
    for who in CALLERS {
        let b = match who {
            Some(who) => signed_in(&app, who).await,
            None => Browser::new(&app),
        };
        csrf.insert(who, b.csrf.clone());
        sessions.insert(who, b);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut checks = 0usize;
    let mut failures = Vec::new();
    let mut routes_checked = 0usize;
    let mut audited = 0usize;
    let mut fhir = 0usize;
    for route in &table {
        if matches!(route.rule.access, Access::Client(_)) {
            fhir += 1;
            continue;
        }
        // Delivery receipts: a bearer token shared with Notify, tested against its double.
        if matches!(route.rule.access, Access::Webhook) {
            continue;
        }
        routes_checked += 1;
        let tenancies: &[Tenancy] = if route.rule.target == Target::None {
            &[Tenancy::Own]
        } else {
            &[Tenancy::Own, Tenancy::Other]
        };
        let api = route.path.starts_with("/api/v1/") || route.path.starts_with("/oruk");
        for &tenancy in tenancies {
            for who in CALLERS {
                let path = concrete(route, &w, who, tenancy);
                let token = who.map(|who| w.tokens[who].0.as_str());
                let b = sessions.get_mut(&who).unwrap();
                let seq = last_audit_seq(&app).await;
                let (status, location, body) =
                    call(&http, &app.base, route, &path, b, token, &csrf[&who]).await;
                // Every read or change of people's records that went through is audited.
                let went_through = status.is_success()
                    || (route.method != Method::Get && status == StatusCode::SEE_OTHER);
                if went_through && who.is_some() && touches_people(route) {
                    audited += 1;
                    if last_audit_seq(&app).await == seq {
                        failures.push(format!(
                            "{} {path} as {} answered {status} and left no audit entry",
                            route.method.as_str(),
                            who.unwrap_or("anonymous")
                        ));
                    }
                }
                // A write to another tenant's record must answer exactly as for no record
                // at all (a 404, or the same validation message), so nothing leaks.
                let (status, location) = if tenancy == Tenancy::Other
                    && route.method != Method::Get
                    && expected(route, who, route.path.starts_with("/api/v1/"), tenancy)
                        == Expect::NotFound
                {
                    let missing = concrete_with(route, &w, who, tenancy, Some("987654"));
                    let (s2, _, body2) =
                        call(&http, &app.base, route, &missing, b, token, &csrf[&who]).await;
                    checks += 1;
                    let record_id = path.rsplit('/').find(|s| s.parse::<i64>().is_ok()).unwrap();
                    let same = s2 == status
                        && (body2 == body || body2.replace("987654", record_id) == body);
                    if status == StatusCode::NOT_FOUND
                        || (same && status == StatusCode::UNPROCESSABLE_ENTITY)
                    {
                        (StatusCode::NOT_FOUND, location)
                    } else {
                        (status, format!("{location} (a missing record gets {s2})"))
                    }
                } else {
                    (status, location)
                };
                checks += 1;
                let by_token = route.path.starts_with("/api/v1/");
                let expect = expected(route, who, by_token, tenancy);
                if !matches(
                    &expect,
                    route.method,
                    &route.path,
                    api,
                    status,
                    &location,
                    &body,
                ) {
                    failures.push(format!(
                        "{} {path} as {} ({tenancy:?}): expected {expect:?} by rule {:?}, got {status} {location} {}",
                        route.method.as_str(),
                        who.unwrap_or("anonymous"),
                        route.rule,
                        if std::env::var("MATRIX_BODY").is_ok() { body.chars().take(3000).collect::<String>() } else { String::new() },
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} authorisation checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        snapshot(&app, pcn_b, &w.other).await,
        before,
        "callers from PCN A changed PCN B's records"
    );
    storage_tests::figure(&format!(
        "Authorisation matrix ({engine:?}): {routes_checked} routes (pages, /api/v1, /oruk) × {} callers × own/other tenant = {checks} checks; {fhir} FHIR routes checked by scope in tests/http/fhir; {audited} uses of people's records each left an audit entry",
        CALLERS.len()
    ));
}

#[tokio::test]
async fn authorisation_matrix_sqlite() {
    authorisation_matrix(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisation_matrix_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    authorisation_matrix(Engine::Postgres).await;
}

/// Every form (each POST route a session may send) is refused without the session's CSRF
/// token, or with another one, and changes nothing.
#[tokio::test]
async fn every_form_needs_the_csrf_token() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = snapshot(&app, app.pcn_a, &w.own).await;
    let mut checked = 0;
    for route in web::routes::table() {
        let Access::Session(_) = route.rule.access else {
            continue;
        };
        if route.method != Method::Post {
            continue;
        }
        // Someone the rule allows, so only the missing token can refuse the form.
        let who = CALLERS
            .into_iter()
            .flatten()
            .find(|who| expected(&route, Some(who), false, Tenancy::Own) == Expect::Allowed)
            .unwrap_or_else(|| panic!("nobody may POST {}", route.path));
        let path = concrete(&route, &w, Some(who), Tenancy::Own);
        let mut b = signed_in(&app, who).await;
        for token in [None, Some("0".repeat(64))] {
            let page = if route.path == "/directory/import" {
                b.csrf = token.clone().unwrap_or_default();
                b.upload(&path, "services.csv", b"service_name\nX\n").await
            } else {
                let mut fields = vec![("version", "1")];
                if let Some(t) = &token {
                    fields.push(("_csrf", t));
                }
                b.post_raw(&path, &fields).await
            };
            checked += 1;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "POST {path} as {who} with CSRF token {token:?}: {}",
                page.body
            );
            assert!(page.body.contains("Your form expired"), "POST {path}");
        }
    }
    // Sign-in has its own token, from the sign-in page's cookie.
    let mut anonymous = Browser::new(&app);
    let page = anonymous
        .post_raw(
            "/login",
            &[("email", "lw@test.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!anonymous.has_session());
    assert_eq!(
        snapshot(&app, app.pcn_a, &w.own).await,
        before,
        "a form without its token changed a record"
    );
    storage_tests::figure(&format!(
        "CSRF: {checked} form submissions without a valid token refused"
    ));
}
