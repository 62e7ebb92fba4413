//! How a caller asks: a route's path filled in for a tenant, one request by session or
//! token, and the audit and records read back to prove what a walk did.

use super::{Records, Tenancy, World};
use crate::helpers::*;
use reqwest::StatusCode;
use web::routes::{Method, Route, Target};

/// The route's path with its placeholders filled for `tenancy`.
pub(crate) fn concrete(route: &Route, w: &World, who: Option<&str>, tenancy: Tenancy) -> String {
    concrete_with(route, w, who, tenancy, None)
}

/// The same, with `id` in place of the record's when given (a record that does not exist).
pub(super) fn concrete_with(
    route: &Route,
    w: &World,
    who: Option<&str>,
    tenancy: Tenancy,
    id: Option<&str>,
) -> String {
    let r = match tenancy {
        Tenancy::Own => &w.own,
        Tenancy::Other => &w.other,
    };
    let pick = |own: &str, other: &str| match tenancy {
        Tenancy::Own => own.to_string(),
        Tenancy::Other => other.to_string(),
    };
    let p = route.path.as_str();
    let id_of_record = match route.rule.target {
        Target::None => String::new(),
        // The operator's own accounts and clients are partners', not a PCN's.
        Target::Pcn("user") if who == Some("operator") && tenancy == Tenancy::Own => {
            w.operator_own.0.to_string()
        }
        Target::Pcn("api_client") if who == Some("operator") && tenancy == Tenancy::Own => {
            w.operator_own.1.to_string()
        }
        Target::Pcn(kind) => match kind {
            "person" => r.person,
            "episode" => r.episode,
            "connection" => r.connection,
            "safeguarding" => r.safeguarding,
            "coding_entry" => r.coding_entry,
            "coding_batch" => r.coding_batch,
            "api_client" => r.api_client,
            "link_worker" => r.link_worker,
            "employment" => r.employment,
            "supervision" => r.supervision,
            "care_home_task" => r.care_home_task,
            "user" => r.user,
            other => panic!("{p}: no fixture for a PCN's {other}: add one to matrix.rs"),
        }
        .to_string(),
        Target::Partner("connection") => pick(
            &w.partner_connection.0.to_string(),
            &w.partner_connection.1.to_string(),
        ),
        Target::Own("api_token") => match (tenancy, who) {
            (Tenancy::Own, Some(who)) => w.tokens[who].1.to_string(),
            _ => w.other_token.to_string(),
        },
        Target::Shared("service") => pick(&w.service.0, &w.service.1),
        Target::Shared("organization") => pick(&w.organization.0, &w.organization.1),
        // Another publisher's taxonomy term: the directory is shared by every PCN.
        Target::Shared("term") => w.foreign_term.clone(),
        // Any partner organisation may be asked; both tenancies name one that exists.
        Target::Shared("partner_org") => w.partner_org.to_string(),
        // The partner's side of a relationship: PCN A has asked (own), PCN B never has.
        Target::Partner("pcn_link") => pick(&w.pcn_a.to_string(), &w.pcn_b.to_string()),
        Target::Shared("directory") if p.starts_with("/oruk/") => {
            let kind = p.trim_start_matches("/oruk/").split('/').next().unwrap();
            w.oruk
                .get(kind)
                .unwrap_or_else(|| panic!("{p}: no ORUK fixture for {kind}"))
                .clone()
        }
        other => panic!("{p}: no fixture for {other:?}: add one to matrix.rs"),
    };
    let id = id.map_or(id_of_record, str::to_string);
    let mut path = p
        .replace("{id}", &id)
        .replace("{user_id}", &id)
        .replace("{kind}", "referrals");
    path = match path.as_str() {
        "/reports/referrals/{file}" => "/reports/referrals/waiting.csv".into(),
        "/workforce/arrs/{file}" => "/workforce/arrs/arrs-year.csv".into(),
        "/pcn/{code}" => "/pcn/U00001".into(),
        // No provider is configured for the matrix: start and callback answer 400 pages.
        "/login/sso/{provider}" => "/login/sso/none".into(),
        "/login/sso/{provider}/callback" => "/login/sso/none/callback".into(),
        _ => path,
    };
    assert!(
        !path.contains('{'),
        "{p}: a placeholder the matrix cannot fill"
    );
    match p {
        "/episodes/{id}/refer" => path.push_str(&format!("?service={}", w.service.0)),
        "/episodes/{id}/measures/new" => path.push_str("?instrument=swemwbs"),
        "/episodes/{id}/close" => path.push_str("?to=declined"),
        "/api/v1/people" | "/people" => path.push_str("?name=Matrix"),
        _ => {}
    }
    path
}

/// Sends one request as the caller: by token on `/api/v1`, otherwise through the
/// caller's browser session (with the session's CSRF token on forms).
pub(super) async fn call(
    http: &reqwest::Client,
    base: &str,
    route: &Route,
    path: &str,
    b: &mut Browser,
    token: Option<&str>,
    csrf: &str,
) -> (StatusCode, String, String) {
    if route.path.starts_with("/api/v1/") {
        let url = format!("{base}{path}");
        let mut req = match route.method {
            Method::Get => http.get(&url),
            Method::Post => http.post(&url),
            Method::Put => http.put(&url),
            Method::Patch => http.patch(&url),
        };
        if route.method != Method::Get {
            req = req.header("content-type", "application/json").body("{}");
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        return (res.status(), String::new(), res.text().await.unwrap());
    }
    // Pages such as the sign-in form carry other tokens; forms use the session's.
    b.csrf = csrf.to_string();
    let page = match (route.method, route.path.as_str()) {
        (Method::Get, _) => b.get(path).await,
        (Method::Post, "/directory/import") => b.upload(path, "empty.csv", b"").await,
        // Sign-in carries its own token (from the sign-in page), not a session's.
        (Method::Post, "/login") => b.sign_in("nobody@matrix.example", "not the password").await,
        // So does self-referral: its token comes from its own form.
        (Method::Post, "/self-referral" | "/self-referral/confirm") => {
            b.get("/self-referral/details?practice=unsure").await;
            b.post(path, &[("practice", "unsure"), ("token", "matrix")])
                .await
        }
        // The plan's door too; an unknown plan code is refused as no record (404).
        (Method::Post, "/my-plan/code" | "/my-plan/sign-in" | "/login/code") => {
            // The same public-form token the self-referral form carries.
            b.get("/self-referral/details?practice=unsure").await;
            b.post(path, &[("code", "MATR-IXMA-TRIX")]).await
        }
        (Method::Post, _) => b.post(path, &[("version", "1")]).await,
        (m, p) => panic!("{m:?} {p}: pages answer GET and POST only"),
    };
    (page.status, page.location.unwrap_or_default(), page.body)
}

pub(super) async fn last_audit_seq(app: &TestApp) -> i64 {
    app.store
        .list_audit(&storage::AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.seq)
}

/// What one PCN's records look like, to prove a walk changed none of them.
pub(crate) async fn snapshot(app: &TestApp, pcn_b: i64, r: &Records) -> String {
    let s = &app.store;
    let today = chrono::Utc::now().date_naive();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        s.get_person(pcn_b, r.person).await.unwrap(),
        s.get_episode(pcn_b, r.episode).await.unwrap(),
        s.get_record(pcn_b, r.safeguarding).await.unwrap(),
        s.coding_entries(pcn_b, None, false).await.unwrap(),
        s.get_employment(pcn_b, r.employment).await.unwrap(),
        // When each account last signed in moves with every sign-in, not with a form.
        s.list_users(Some(pcn_b))
            .await
            .unwrap()
            .into_iter()
            .map(|u| storage::User {
                last_sign_in_at: None,
                ..u
            })
            .collect::<Vec<_>>(),
        s.api_clients()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.pcn_id == Some(pcn_b))
            .collect::<Vec<_>>(),
        s.care_home_tasks(
            pcn_b,
            today - chrono::Duration::days(365),
            today + chrono::Duration::days(365)
        )
        .await
        .unwrap(),
    )
}
