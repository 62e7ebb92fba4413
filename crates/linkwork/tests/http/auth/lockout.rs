//! Failed sign-ins and accounts: five failures pause an account from that address (and its
//! owner is told); many failures from many addresses lock it everywhere.

use crate::helpers::*;
use reqwest::StatusCode;
use storage::AuditFilter;

/// Finding 6: failures for an account pause it from that address only (anyone can type a
/// name, so no one elsewhere can lock its owner out), with the answer a wrong password or an
/// unknown account gets; the owner hears of it by email.
pub(super) async fn five_failed_sign_ins_pause_the_account_from_that_address_and_tell_its_owner(
    engine: Engine,
) {
    let (_smtp, maildir, port) = smtp_sink().await;
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            trust_forwarded_for: true,
            mail: Some(web::MailConfig::new(
                format!("smtp://127.0.0.1:{port}"),
                "Linkwork <linkwork@test.example>",
                "https://linkwork.test.example",
            )),
            ..Default::default()
        },
    )
    .await;
    let mut b = Browser::new(&app);
    b.forwarded_for = Some("192.0.2.10".into());
    let mut wrong_page = String::new();
    for _ in 0..5 {
        let p = b.sign_in("lw2@test.example", "not the password").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        wrong_page = p.body;
    }
    let p = b.sign_in("lw2@test.example", PASSWORD).await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the right password is refused from there while paused"
    );
    assert!(!b.has_session());
    let unknown = b
        .sign_in("nobody-here@test.example", "not the password")
        .await;
    let words = |body: &str| {
        let i = body.find("error-summary").unwrap();
        body[i..i + 400].to_string()
    };
    assert_eq!(
        words(&p.body),
        words(&unknown.body),
        "locked reads as unknown"
    );
    assert_eq!(
        words(&p.body),
        words(&wrong_page),
        "locked reads as a wrong password"
    );
    // The owner, at another address, signs in.
    let mut owner = Browser::new(&app);
    owner.forwarded_for = Some("198.51.100.7".into());
    assert_eq!(
        owner.sign_in("lw2@test.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let paused = app
        .store
        .list_audit(&AuditFilter {
            action_prefix: Some("signin.refused".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(paused.iter().any(|e| e
        .detail
        .contains("paused for this account from this address")));
    // The owner is told, by email.
    let mut told = Vec::new();
    for _ in 0..50 {
        told = mails(&maildir);
        if !told.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(told.len(), 1, "one notice");
    assert!(told[0].contains("lw2@test.example") && told[0].contains("192.0.2.10"));
}

pub(super) async fn many_failures_from_many_addresses_lock_the_account_everywhere(engine: Engine) {
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            trust_forwarded_for: true,
            max_failed_logins: 1,
            ..Default::default()
        },
    )
    .await;
    // One failure from each of ten addresses: the account-wide limit (ten times the
    // per-address one) locks it everywhere.
    for k in 0..10 {
        let mut b = Browser::new(&app);
        b.forwarded_for = Some(format!("192.0.2.{}", k + 1));
        b.sign_in("lw2@test.example", "not the password").await;
    }
    let mut b = Browser::new(&app);
    b.forwarded_for = Some("203.0.113.9".into());
    let p = b.sign_in("lw2@test.example", PASSWORD).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!b.has_session());
    let locked = app
        .store
        .list_audit(&AuditFilter {
            action_prefix: Some("signin.locked".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);
    // An administrator's reset clears the lock.
    let mut admin = signed_in(&app, "admin").await;
    let id = app.users["lw2"].to_string();
    let reset = admin
        .post(&format!("/admin/users/{id}/reset-password"), &[])
        .await;
    // Post/redirect/get: the password is on the page the reset redirects to, once; a
    // refresh neither shows it again nor resets the password again.
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    let to = reset.location.clone().unwrap();
    let reset = admin.get(&to).await;
    let again = admin.get(&to).await;
    assert!(
        !again.body.contains("New temporary password"),
        "{}",
        again.body
    );
    let i = reset
        .body
        .find("New temporary password for lw2@test.example: ")
        .unwrap()
        + "New temporary password for lw2@test.example: ".len();
    let temp = reset.body[i..i + 16].to_string();
    assert_eq!(
        Browser::new(&app)
            .sign_in("lw2@test.example", &temp)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

/// Guesses sent all at once, from one address at one account: no more than the limit are
/// checked as failures (each attempt takes its place before the password is looked at), the
/// rest are refused as paused, and then even the right password is refused from there. Before
/// the fix every guess in the burst passed the check before any was counted.
pub(super) async fn guesses_sent_at_once_get_no_more_than_the_limit(engine: Engine) {
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            trust_forwarded_for: true,
            ..Default::default()
        },
    )
    .await;
    let mut tasks = vec![];
    for i in 0..15 {
        let mut b = Browser::new(&app);
        b.forwarded_for = Some("192.0.2.77".into());
        tasks.push(tokio::spawn(async move {
            b.sign_in("lw2@test.example", &format!("guess number {i}"))
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let entries = |action: &'static str| {
        let store = app.store.clone();
        async move {
            store
                .list_audit(&AuditFilter {
                    action_prefix: Some(action.into()),
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    let failed = entries("signin.failed").await;
    assert_eq!(
        failed.len(),
        5,
        "exactly the limit of guesses were checked as failures: {failed:?}"
    );
    let paused = entries("signin.refused").await;
    assert_eq!(
        paused
            .iter()
            .filter(|e| e
                .detail
                .contains("paused for this account from this address"))
            .count(),
        10
    );
    let mut b = Browser::new(&app);
    b.forwarded_for = Some("192.0.2.77".into());
    assert_eq!(
        b.sign_in("lw2@test.example", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the right password is refused from there while paused"
    );
    // A right password is not counted: from another address, one wrong guess and then the
    // right password, four times over, never pauses the account there.
    let mut owner = Browser::new(&app);
    owner.forwarded_for = Some("198.51.100.8".into());
    for _ in 0..4 {
        assert_eq!(
            owner.sign_in("lw2@test.example", "typo").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            owner.sign_in("lw2@test.example", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        owner.post("/logout", &[]).await;
    }
}
