//! What belongs to the whole deployment: directory links, the code catalogue and ARRS
//! maximums are the operator's; absolute URLs and cookies follow the configured public address.

use crate::helpers::*;
use crate::matrix::world;
use reqwest::StatusCode;

/// Findings 2 and 4: linking directory organisations to partners, the national code
/// catalogue and the ARRS maximums are the operator's; no PCN's manager or administrator
/// changes them for everyone.
pub(super) async fn deployment_settings_are_the_operators(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let org = w.organization.1.clone();
    let walk = app
        .store
        .list_partner_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Walk Club")
        .unwrap()
        .id
        .to_string();
    let linked = |app: &TestApp, org: String| {
        let store = app.store.clone();
        async move {
            store
                .dir_organizations()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.id == org)
                .unwrap()
                .partner_org_id
        }
    };
    let catalogue = app.store.coding_catalogue().await.unwrap();
    let caps = app.store.arrs_caps().await.unwrap();
    let concept = catalogue[0].concept_id.clone();
    for who in ["manager", "manager_b", "admin", "admin_b"] {
        let mut b = signed_in(&app, who).await;
        let p = b
            .post(
                &format!("/directory/organizations/{org}/partner"),
                &[("partner_org_id", &walk)],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who} linked a partner");
        let p = b
            .post(
                "/admin/coding",
                &[
                    ("concept_id", &concept),
                    ("term", "Renamed by a PCN"),
                    ("queued_on", ""),
                ],
            )
            .await;
        assert_eq!(
            p.status,
            StatusCode::FORBIDDEN,
            "{who} changed the catalogue"
        );
        let p = b
            .post(
                "/admin/coding",
                &[
                    ("concept_id", "1234567001"),
                    ("term", "Planted code"),
                    ("queued_on", "accepted"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who} planted a code");
        let p = b
            .post("/admin/arrs", &[("year", "2030/31"), ("amount", "1")])
            .await;
        assert_eq!(
            p.status,
            StatusCode::FORBIDDEN,
            "{who} changed the ARRS maximum"
        );
    }
    assert_eq!(linked(&app, org.clone()).await, None);
    assert_eq!(app.store.coding_catalogue().await.unwrap(), catalogue);
    assert_eq!(app.store.arrs_caps().await.unwrap(), caps);
    // The managers still see which partner keeps each organisation, read-only.
    let page = signed_in(&app, "manager_b")
        .await
        .get("/directory/organizations")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/partner\" class=\"inline-form\""));
    assert!(page.body.contains("Only the deployment operator"));
    // The operator can.
    let mut op = signed_in(&app, "operator").await;
    let p = op
        .post(
            &format!("/directory/organizations/{org}/partner"),
            &[("partner_org_id", &walk)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(linked(&app, org).await.map(|x| x.to_string()), Some(walk));
    let p = op
        .post("/admin/arrs", &[("year", "2030/31"), ("amount", "41000")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "deployment settings: 4 PCN managers and administrators refused directory partner links, catalogue edits, planted codes and ARRS maximums; nothing changed"
    ));
}

/// Finding 11: absolute URLs come from the configured public address, never the `Host`
/// header; an https public address gives `Secure` `__Host-` cookies and HSTS by itself.
pub(super) async fn absolute_urls_and_cookies_follow_the_configured_public_address(engine: Engine) {
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            public_url: "https://linkwork.example.nhs.uk".into(),
            ..Default::default()
        },
    )
    .await;
    let r = reqwest::Client::new()
        .get(format!("{}/fhir/metadata", app.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(!body.contains("evil.example"), "{body}");
    assert!(
        body.contains("https://linkwork.example.nhs.uk/oauth/token"),
        "{body}"
    );
    let mut b = Browser::new(&app);
    let form = b.get("/login").await;
    let cookie = form.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-lw_login_csrf=") && cookie.contains("; Secure"));
    assert!(form.headers.contains_key("strict-transport-security"));
    let page = b.sign_in("lw@test.example", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let session = set_cookie(&page, "__Host-lw_session=").expect("a __Host- session cookie");
    assert!(
        session.contains("; Secure") && session.contains("Path=/") && !session.contains("Domain")
    );
    assert_eq!(
        b.get("/today").await.status,
        StatusCode::OK,
        "the session works"
    );
}
