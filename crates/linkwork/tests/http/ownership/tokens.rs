//! Personal API tokens are no back door: the password again, an expiry, and revoked with
//! a disabled account.

use super::audit_of;
use crate::helpers::*;
use reqwest::StatusCode;

/// Finding 7: a personal token needs the password again, expires, and dies with a disabled
/// account for good.
pub(super) async fn personal_tokens_are_no_back_door(engine: Engine) {
    let config = web::WebConfig {
        api_token_lifetime: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let app = spawn_app_with(engine, config).await;
    let mut lw = signed_in(&app, "lw").await;
    for (password, message) in [
        ("", "Enter your password"),
        ("wrong password!", "not right"),
    ] {
        let p = lw
            .post(
                "/settings/tokens",
                &[("token_name", "script"), ("token_password", password)],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains(message), "{message}");
    }
    assert!(app
        .store
        .list_api_tokens(app.users["lw"])
        .await
        .unwrap()
        .is_empty());
    // A borrowed session cannot guess the password here: failures count with sign-in's.
    let mut borrowed = signed_in(&app, "lw2").await;
    for _ in 0..5 {
        borrowed
            .post(
                "/settings/tokens",
                &[
                    ("token_name", "script"),
                    ("token_password", "still guessing"),
                ],
            )
            .await;
    }
    let p = borrowed
        .post(
            "/settings/tokens",
            &[("token_name", "script"), ("token_password", PASSWORD)],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "paused after five"
    );
    let refused = audit_of(&app, app.pcn_a, "password.again_refused").await;
    assert_eq!(
        refused.len(),
        7,
        "one by lw above (an empty password is no try), six by lw2"
    );
    let token = api_token(&app, "lw").await;
    let (http, bearer) = api(&token);
    let call = || {
        http.get(format!("{}/api/v1/episodes/unassigned", app.base))
            .header("authorization", &bearer)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    // Disabled and enabled again: the token stays dead.
    let mut admin = signed_in(&app, "admin").await;
    let id = app.users["lw"];
    admin.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    admin.post(&format!("/admin/users/{id}/enable"), &[]).await;
    assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A token past its lifetime stops working.
    let raw = "lw_an_old_token_made_two_hours_ago";
    let made = app
        .store
        .create_api_token(
            app.users["lw2"],
            "old",
            &web::auth::sha256_hex(raw),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    assert_eq!(
        http.get(format!("{}/api/v1/episodes/unassigned", app.base))
            .bearer_auth(raw)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "a new token works"
    );
    let lifetime = std::time::Duration::from_secs(3600);
    assert!(made.created_at > chrono::Utc::now() - chrono::Duration::from_std(lifetime).unwrap());
    // The same server with a lifetime shorter than the token's age refuses it.
    let short = web::WebConfig {
        api_token_lifetime: std::time::Duration::from_secs(0),
        ..Default::default()
    };
    let strict = web::AppState::new(app.store.clone(), app.state.directory.clone(), short);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, strict, std::future::pending()));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        http.get(format!("{base}/api/v1/episodes/unassigned"))
            .bearer_auth(raw)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED,
        "an expired token"
    );
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "personal tokens: creation refused without the password twice; dead after disable and re-enable; expired past their lifetime"
    ));
}
