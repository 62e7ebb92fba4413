//! Single sign-on around the provider: linking identities (by an administrator of the
//! account's PCN, or by the user after their password), unlinking, what a provider that does
//! not answer or a made-up callback gets, and the second-factor policy for sessions signed
//! in through a provider. The sign-in itself, through a real OpenID provider and Chromium,
//! is `tests/browser/sso.test.mjs`.

use crate::helpers::*;
use reqwest::StatusCode;
use std::sync::Arc;

/// A provider configured but not answering (nothing listens on port 9 here).
fn provider() -> Arc<web::sso::Provider> {
    let settings: web::sso::ProviderSettings = serde_json::from_value(serde_json::json!({
        "name": "test",
        "label": "Test Identity",
        "issuer": "http://127.0.0.1:9",
        "client_id": "linkwork",
        "client_secret": "a-secret",
    }))
    .unwrap();
    Arc::new(web::sso::Provider::from_settings(settings).unwrap())
}

fn config() -> web::WebConfig {
    web::WebConfig {
        sso: vec![provider()],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_link_identities_of_their_own_pcn_only_on_sqlite() {
    administrators_link_identities_of_their_own_pcn_only(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_link_identities_of_their_own_pcn_only_on_postgres() {
    administrators_link_identities_of_their_own_pcn_only(Engine::Postgres).await;
}

async fn administrators_link_identities_of_their_own_pcn_only(engine: Engine) {
    let app = spawn_app_with(engine, config()).await;
    let lw = app.users["lw"];
    let mut admin = signed_in(&app, "admin").await;
    let linked = admin
        .post(
            &format!("/admin/users/{lw}/sso/link"),
            &[("provider", "test"), ("subject", "subject-of-lw")],
        )
        .await;
    assert_eq!(
        linked.location.as_deref(),
        Some(format!("/admin/users/{lw}?done=sso-linked").as_str())
    );
    let (_, user) = app
        .store
        .identity_user("test", "subject-of-lw")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, lw);
    let page = admin.get(&format!("/admin/users/{lw}")).await.body;
    assert!(page.contains("Test Identity, linked"), "{page}");

    // Another PCN's administrator: the same answer as no such account, nothing linked.
    let mut admin_b = signed_in(&app, "admin_b").await;
    let other = admin_b
        .post(
            &format!("/admin/users/{lw}/sso/link"),
            &[("provider", "test"), ("subject", "planted-by-b")],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(app
        .store
        .identity_user("test", "planted-by-b")
        .await
        .unwrap()
        .is_none());
    // A link worker may not link anyone.
    let mut lw2 = signed_in(&app, "lw2").await;
    let refused = lw2
        .post(
            &format!("/admin/users/{lw}/sso/link"),
            &[("provider", "test"), ("subject", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Bad input changes nothing and says why.
    let lw2_id = app.users["lw2"];
    for (fields, done) in [
        (
            vec![("provider", "test"), ("subject", "subject-of-lw")],
            "sso-not-linked",
        ),
        (vec![("provider", "nope"), ("subject", "s")], "sso-choose"),
        (
            vec![("provider", "test"), ("subject", "a\r\nb")],
            "sso-subject",
        ),
        (vec![("provider", "test"), ("subject", "")], "sso-subject"),
    ] {
        let p = admin
            .post(&format!("/admin/users/{lw2_id}/sso/link"), &fields)
            .await;
        assert_eq!(
            p.location.as_deref(),
            Some(format!("/admin/users/{lw2_id}?done={done}").as_str()),
            "{fields:?}"
        );
    }
    assert!(app.store.identities_of(lw2_id).await.unwrap().is_empty());

    // The user sees it in their settings; another user cannot unlink it.
    let mut lw_b = signed_in(&app, "lw").await;
    let settings = lw_b.get("/settings/sign-in").await.body;
    assert!(settings.contains("Test Identity") && settings.contains("by an administrator"));
    let id = app.store.identities_of(lw).await.unwrap()[0].id;
    let not_theirs = lw2
        .post("/settings/sign-in/unlink", &[("identity", &id.to_string())])
        .await;
    assert_eq!(not_theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.identities_of(lw).await.unwrap().len(), 1);

    // The audit log says who linked it.
    let log = app.store.all_audit().await.unwrap();
    assert!(log.iter().any(|e| e.action == "sso.link"
        && e.entity_id == Some(lw)
        && e.actor_id == Some(app.users["admin"])));

    // The owner unlinks it; sessions signed in through it end, a password session stays.
    let hash = web::auth::sha256_hex("an-sso-session");
    app.store
        .create_session(&storage::Session {
            id_hash: hash.clone(),
            user_id: lw,
            csrf_token: "c".into(),
            created_at: storage::now(),
            last_seen_at: storage::now(),
            via: Some("test".into()),
            id_token_hint: None,
        })
        .await
        .unwrap();
    let done = lw_b
        .post("/settings/sign-in/unlink", &[("identity", &id.to_string())])
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/settings/sign-in?done=unlinked")
    );
    assert!(app.store.session_with_user(&hash).await.unwrap().is_none());
    assert_eq!(lw_b.get("/settings/sign-in").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_needs_the_password_and_a_provider_that_answers() {
    let app = spawn_app_with(Engine::Sqlite, config()).await;
    // A manager (not asked for a second factor here) links their own.
    let mut m = signed_in(&app, "manager").await;
    let page = m.get("/settings/sign-in").await.body;
    assert!(page.contains("Link an account") && page.contains("Test Identity"));
    let wrong = m
        .post(
            "/settings/sign-in/link",
            &[("provider", "test"), ("password", "not it")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Your password is not right"));
    let empty = m
        .post(
            "/settings/sign-in/link",
            &[("provider", "test"), ("password", "")],
        )
        .await;
    assert!(empty.body.contains("Enter your Linkwork password"));
    let unknown = m
        .post(
            "/settings/sign-in/link",
            &[("provider", "nope"), ("password", PASSWORD)],
        )
        .await;
    assert!(unknown.body.contains("Choose a way to sign in"));
    // The provider does not answer: a clear page, nothing kept, no link.
    let down = m
        .post(
            "/settings/sign-in/link",
            &[("provider", "test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.body.contains("Single sign-on is not answering"));
    assert!(app
        .store
        .identities_of(app.users["manager"])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_pages_refuse_what_they_cannot_trust() {
    let app = spawn_app_with(Engine::Sqlite, config()).await;
    let mut b = Browser::new(&app);
    let login = b.get("/login?next=/people%3Fname%3Dx").await.body;
    assert!(
        login.contains("href=\"/login/sso/test?next=%2Fpeople%3Fname%3Dx\""),
        "{login}"
    );
    assert!(login.contains("Sign in with Test Identity"));
    // A made-up provider name writes nothing (no audit entry, nothing kept).
    let before = app.store.all_audit().await.unwrap().len();
    let made_up = b
        .get(&format!("/login/sso/{}/callback?state=x", "n".repeat(5000)))
        .await;
    assert_eq!(made_up.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.all_audit().await.unwrap().len(), before);
    let unknown = b.get("/login/sso/nope").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("That sign-in option is not set up"));
    let down = b.get("/login/sso/test").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    // A callback nobody started (or started in another browser): no session.
    for q in [
        "?code=abc&state=made-up",
        "?code=abc",
        "?error=access_denied&state=x",
        "",
    ] {
        let p = b.get(&format!("/login/sso/test/callback{q}")).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(p.body.contains("This sign-in has expired"), "{q}");
        assert!(!b.has_session());
    }
    // A sign-in in flight started by another browser is refused in this one.
    app.store
        .put_sign_in_attempt(&storage::SignInAttempt {
            state_hash: web::auth::sha256_hex("their-state"),
            browser_hash: web::auth::sha256_hex("their-browser"),
            provider: "test".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            link_user_id: None,
            next: "/".into(),
            created_at: storage::now(),
        })
        .await
        .unwrap();
    b.set_cookie("lw_sso", "my-browser");
    let p = b
        .get("/login/sso/test/callback?code=abc&state=their-state")
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("started in another browser"));
    assert!(!b.has_session());

    // Confirming an administrator's link with nothing waiting: back to sign-in; with a
    // forged pending cookie: refused, no session.
    let mut c = Browser::new(&app);
    let none = c.post_raw("/login/sso/confirm", &[("answer", "yes")]).await;
    assert_eq!(none.location.as_deref(), Some("/login"));
    c.get("/login").await;
    let token = csrf_in(&c.get("/login").await.body).unwrap();
    let lw = app.users["lw"];
    c.set_cookie("lw_sso_confirm", &format!("{lw}.forged-token"));
    for answer in ["yes", "no", "<script>alert(1)</script>"] {
        let forged = c
            .post_raw(
                "/login/sso/confirm",
                &[("_csrf", &token), ("answer", answer)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(forged.body.contains("This sign-in has expired"));
        assert!(!c.has_session());
        c.set_cookie("lw_sso_confirm", &format!("{lw}.forged-token"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_through_a_provider_relies_on_its_factors() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            second_factor_roles: vec![domain::Role::LinkWorker],
            ..config()
        },
    )
    .await;
    // Link workers need a second factor: a password session can only set one up.
    let mut password = signed_in(&app, "lw").await;
    assert_eq!(
        password.get("/today").await.location.as_deref(),
        Some("/settings/second-factor")
    );
    // A session signed in through the provider opens their pages.
    let raw = "a-session-through-the-provider";
    app.store
        .create_session(&storage::Session {
            id_hash: web::auth::sha256_hex(raw),
            user_id: app.users["lw"],
            csrf_token: "c".into(),
            created_at: storage::now(),
            last_seen_at: storage::now(),
            via: Some("test".into()),
            id_token_hint: None,
        })
        .await
        .unwrap();
    let mut sso = Browser::new(&app);
    sso.set_cookie(web::auth::session_cookie(false), raw);
    assert_eq!(sso.get("/today").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_start_sign_ins_without_end() {
    let app = spawn_app_with(Engine::Sqlite, config()).await;
    let mut b = Browser::new(&app);
    let mut statuses = vec![];
    for _ in 0..301 {
        statuses.push(b.get("/login/sso/test").await.status);
    }
    // The provider is down: each is answered at once, until the address has used its share.
    assert!(statuses[..300]
        .iter()
        .all(|s| *s == StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(statuses[300], StatusCode::TOO_MANY_REQUESTS);
    let page = b.get("/login/sso/test/callback?state=x").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many sign-ins from this network"));
}
