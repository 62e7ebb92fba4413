//! A second factor for password accounts: an authenticator app set up from Settings, the
//! code asked after the password, wrong and replayed codes refused (and counted like wrong
//! passwords), recovery codes that work once, an administrator's reset, and a role policy
//! that allows nothing but setting one up.

use crate::helpers::*;
use chrono::Utc;
use reqwest::StatusCode;
use web::totp;

/// Sets up an app for the signed-in browser; the secret (base32) and the recovery codes.
async fn enrol(b: &mut Browser) -> (String, Vec<String>) {
    let page = b.get("/settings/second-factor").await;
    assert!(
        page.body.contains("Set up an authenticator app"),
        "{}",
        page.body
    );
    b.post("/settings/second-factor/start", &[]).await;
    let page = b.get("/settings/second-factor").await;
    assert!(page.body.contains("<svg") && page.body.contains("aria-label=\"QR code"));
    let secret = key_on(&page.body);
    // A wrong code first: refused, nothing turned on.
    let wrong = b
        .post(
            "/settings/second-factor/confirm",
            &[("code", "000000"), ("password", PASSWORD)],
        )
        .await;
    if wrong.status != StatusCode::SEE_OTHER {
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("The code is not right"));
    }
    let code = now_code(&secret, 0);
    // Without the password: refused.
    let no_password = b
        .post("/settings/second-factor/confirm", &[("code", &code)])
        .await;
    assert_eq!(no_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_password.body.contains("Your password is not right"));
    let done = b
        .post(
            "/settings/second-factor/confirm",
            &[("code", &code), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let shown = b.get(&done.location.unwrap()).await.body;
    assert!(shown.contains("Your recovery codes"));
    let codes: Vec<String> = shown
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    // Shown once.
    assert!(!b
        .get("/settings/second-factor")
        .await
        .body
        .contains("Your recovery codes"));
    (secret, codes)
}

/// The key (base32) the set-up page shows, without its spaces.
fn key_on(body: &str) -> String {
    body.split("Key: <code class=\"token totp-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .replace(' ', "")
}

/// The code for now plus `steps` 30-second steps.
fn now_code(secret: &str, steps: i64) -> String {
    let bytes = totp::unbase32(secret).unwrap();
    totp::code_at(&bytes, totp::step_of(Utc::now().timestamp()) + steps)
}

/// Signs in with the password; the answer (a redirect to the code page when one is set up).
async fn password(app: &TestApp, who: &str) -> (Browser, Page) {
    let mut b = Browser::new(app);
    let email = format!("{who}@test.example");
    let page = b.sign_in(&email, PASSWORD).await;
    (b, page)
}

async fn code(b: &mut Browser, code: &str) -> Page {
    b.get("/login/code").await;
    b.post("/login/code", &[("code", code)]).await
}

async fn second_factor_at_sign_in(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let mut lw = signed_in(&app, "lw").await;
    let (secret, recovery) = enrol(&mut lw).await;
    // The password alone no longer signs in: it asks for the code.
    let (mut b, page) = password(&app, "lw").await;
    assert_eq!(page.location.as_deref(), Some("/login/code"));
    assert!(!b.has_session(), "no session before the code");
    assert_eq!(
        b.get("/today")
            .await
            .location
            .as_deref()
            .map(|l| l.starts_with("/login")),
        Some(true)
    );
    let form = b.get("/login/code").await;
    assert!(form.body.contains("Enter the code from your app"));
    // A wrong code: refused, with a clear message, and no session.
    let wrong = b.post("/login/code", &[("code", "123456")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("The code is not right"));
    assert!(!b.has_session());
    // The next step's code (the one set-up took has been used).
    let next = now_code(&secret, 1);
    let ok = b.post("/login/code", &[("code", &next)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(b.has_session());
    assert_eq!(b.get("/today").await.status, StatusCode::OK);
    // The same code again, in another browser: refused (a code works once).
    let (mut c, _) = password(&app, "lw").await;
    let replay = code(&mut c, &next).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!c.has_session());
    // A recovery code works once, typed in capitals without dashes.
    let typed = recovery[3].to_uppercase().replace('-', "");
    let (mut d, _) = password(&app, "lw").await;
    let used = code(&mut d, &typed).await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    assert!(d
        .get("/settings/second-factor")
        .await
        .body
        .contains("9 recovery codes left"));
    let (mut e, _) = password(&app, "lw").await;
    assert_eq!(
        code(&mut e, &recovery[3]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Without the password first, the code page leads back to sign-in.
    let mut f = Browser::new(&app);
    assert_eq!(
        f.get("/login/code").await.location.as_deref(),
        Some("/login")
    );
    // Audited: set up, asked, failed, used.
    let audit = app.store.all_audit().await.unwrap();
    for action in [
        "mfa.enrol",
        "signin.second_factor_asked",
        "signin.second_factor_failed",
        "signin.recovery_code",
        "signin.success",
    ] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "{action} not audited"
        );
    }
    // An administrator resets it (a lost phone): sessions end, the password alone signs in.
    let mut admin = signed_in(&app, "admin").await;
    let reset = admin
        .post(
            &format!("/admin/users/{}/second-factor/reset", app.users["lw"]),
            &[],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(
        b.get("/today")
            .await
            .location
            .as_deref()
            .map(|l| l.starts_with("/login")),
        Some(true),
        "the reset ends their sessions"
    );
    let (g, page) = password(&app, "lw").await;
    assert_ne!(page.location.as_deref(), Some("/login/code"));
    assert!(g.has_session());
    assert!(app
        .store
        .all_audit()
        .await
        .unwrap()
        .iter()
        .any(|a| a.action == "mfa.reset"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_at_sign_in_on_sqlite() {
    second_factor_at_sign_in(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_at_sign_in_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    second_factor_at_sign_in(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_requires_it_can_do_nothing_else_until_it_is_set_up() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            second_factor_roles: vec![domain::Role::LinkWorker],
            ..Default::default()
        },
    )
    .await;
    let mut lw = signed_in(&app, "lw").await;
    let page = lw.get("/today").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/settings/second-factor"));
    let people = lw.get("/people?name=a").await;
    assert_eq!(people.location.as_deref(), Some("/settings/second-factor"));
    let set_up = lw.get("/settings/second-factor").await.body;
    assert!(set_up.contains("Your organisation asks everyone in your role"));
    // A manager is not asked.
    let mut manager = signed_in(&app, "manager").await;
    assert_eq!(manager.get("/triage").await.status, StatusCode::OK);
    // Once set up, the link worker's pages open; turning it off is refused.
    enrol(&mut lw).await;
    assert_eq!(lw.get("/today").await.status, StatusCode::OK);
    let off = lw
        .post("/settings/second-factor/remove", &[("password", PASSWORD)])
        .await;
    assert_eq!(off.status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_codes_are_refused_and_open_no_session() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            max_failed_logins: 1_000_000,
            max_failed_logins_per_address: 1_000_000,
            ..Default::default()
        },
    )
    .await;
    let mut lw = signed_in(&app, "lw").await;
    enrol(&mut lw).await;
    let (mut b, _) = password(&app, "lw").await;
    let mut tried = 0;
    for (label, payload) in crate::hostile::payloads() {
        b.get("/login/code").await;
        let page = b.post("/login/code", &[("code", &payload)]).await;
        assert!(!page.status.is_server_error(), "{label}: {}", page.status);
        // Refused, or (once ten wrong codes stop the factor) sent back to sign in.
        assert!(
            page.status.is_client_error()
                || page
                    .location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/login")),
            "{label}: {}",
            page.status
        );
        assert!(!page.body.contains("<script"), "{label}: echoed");
        assert!(!b.has_session(), "{label}: signed in");
        tried += 1;
    }
    assert!(tried > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setting_it_up_ends_password_only_sessions_and_tokens() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            second_factor_roles: vec![domain::Role::LinkWorker],
            ..Default::default()
        },
    )
    .await;
    // Someone else with the password, signed in beside the owner.
    let mut other = signed_in(&app, "lw").await;
    let mut owner = signed_in(&app, "lw").await;
    owner.get("/settings/second-factor").await;
    owner.post("/settings/second-factor/start", &[]).await;
    assert!(owner
        .get("/settings/second-factor")
        .await
        .body
        .contains("<svg"));
    let seen = other.get("/settings/second-factor").await.body;
    assert!(
        !seen.contains("<svg"),
        "the other session sees the secret being set up"
    );
    assert!(seen.contains("started in another browser"), "{seen}");
    // A token made before: refused under the policy while there is no second factor.
    app.store
        .create_api_token(
            app.users["lw"],
            "script",
            &web::auth::sha256_hex("lw_before"),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let before = client
        .get(format!("{}/api/v1/people?name=a", app.base))
        .bearer_auth("lw_before")
        .send()
        .await
        .unwrap();
    assert_eq!(
        before.status(),
        StatusCode::FORBIDDEN,
        "the API too needs the second factor"
    );
    enrol_started(&mut owner).await;
    // The other session ended; the token stays dead after enrolment.
    let after = other.get("/today").await;
    assert!(
        after
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login")),
        "{:?}",
        after.location
    );
    assert_eq!(
        owner.get("/today").await.status,
        StatusCode::OK,
        "the owner's session stays"
    );
    let dead = client
        .get(format!("{}/api/v1/people?name=a", app.base))
        .bearer_auth("lw_before")
        .send()
        .await
        .unwrap();
    assert_eq!(
        dead.status(),
        StatusCode::UNAUTHORIZED,
        "tokens made with the password alone are revoked"
    );
}

/// Confirms a set-up already started in this browser.
async fn enrol_started(b: &mut Browser) {
    let page = b.get("/settings/second-factor").await;
    let secret = key_on(&page.body);
    let done = b
        .post(
            "/settings/second-factor/confirm",
            &[("code", &now_code(&secret, 0)), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_wrong_codes_in_a_row_stop_the_second_factor_until_a_reset() {
    // The address and account pauses are set out of reach: this is the slow guesser spread
    // over many addresses, whom only the count in the database stops.
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            max_failed_logins: 1_000_000,
            max_failed_logins_per_address: 1_000_000,
            ..Default::default()
        },
    )
    .await;
    let mut lw = signed_in(&app, "lw").await;
    let (secret, _) = enrol(&mut lw).await;
    let right = now_code(&secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (mut b, _) = password(&app, "lw").await;
    for _ in 0..10 {
        let page = code(&mut b, wrong).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let locked = code(&mut b, &right).await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.body.contains("Too many wrong codes"));
    assert!(!b.has_session());
    // An administrator's reset clears it.
    let mut admin = signed_in(&app, "admin").await;
    admin
        .post(
            &format!("/admin/users/{}/second-factor/reset", app.users["lw"]),
            &[],
        )
        .await;
    let (again, _) = password(&app, "lw").await;
    assert!(again.has_session());
}

/// Wrong codes sent all at once, from many browsers that each typed the password: no more
/// are checked than the lock allows (each takes its place before it is checked), and then
/// even the right code is refused. Before the fix every code in the burst passed the check
/// before any was counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_sent_at_once_get_no_more_checks_than_the_lock_allows() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            max_failed_logins: 1_000_000,
            max_failed_logins_per_address: 1_000_000,
            ..Default::default()
        },
    )
    .await;
    let mut lw = signed_in(&app, "lw").await;
    let (secret, _) = enrol(&mut lw).await;
    let right = now_code(&secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut browsers = vec![];
    for _ in 0..15 {
        let (mut b, _) = password(&app, "lw").await;
        b.get("/login/code").await;
        browsers.push(b);
    }
    let mut tasks = vec![];
    for mut b in browsers {
        tasks.push(tokio::spawn(async move {
            b.post("/login/code", &[("code", wrong)]).await.status
        }));
    }
    for t in tasks {
        let status = t.await.unwrap();
        assert!(
            [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN].contains(&status),
            "{status}"
        );
    }
    let checked = app
        .store
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("signin.second_factor_failed".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        checked.len() as i64,
        storage::TOTP_MAX_FAILURES,
        "codes checked out of a burst of 15"
    );
    let (mut b, _) = password(&app, "lw").await;
    let locked = code(&mut b, &right).await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(!b.has_session());
}
