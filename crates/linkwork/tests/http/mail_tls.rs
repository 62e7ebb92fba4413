//! Email that leaves the machine is encrypted, and the relay's certificate is checked: a
//! real SMTP server (aiosmtpd) speaking STARTTLS (which it requires) or TLS from the start,
//! with a certificate from a test CA (`tests/fixtures/smtp-tls`).

use crate::helpers::*;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/smtp-tls")
        .join(name)
        .display()
        .to_string()
}

fn config(url: String, trust_test_ca: bool) -> web::MailConfig {
    let mut m = web::MailConfig::new(
        url,
        "Linkwork <linkwork@test.example>",
        "https://linkwork.test.example",
    );
    if trust_test_ca {
        m.ca_file = Some(fixture("ca.pem").into());
    }
    m
}

#[tokio::test]
async fn starttls_is_used_and_the_relays_certificate_checked() {
    let (cert, key) = (fixture("server.pem"), fixture("server.key"));
    let (_smtp, maildir, port) = smtp_sink_with(&["--tlscert", &cert, "--tlskey", &key]).await;
    // Not trusted (a certificate from a CA outside the public roots): nothing is sent.
    let untrusted = config(format!("smtp://localhost:{port}"), false);
    let refused = web::mail::send_text(&untrusted, "gp@nhs.example", "Test", "Hello".into()).await;
    assert!(
        refused.is_err(),
        "a certificate nobody vouches for is refused"
    );
    assert!(mails(&maildir).is_empty());
    // Trusted: it goes over STARTTLS (the server takes no mail without it).
    let trusted = config(format!("smtp://localhost:{port}"), true);
    web::mail::send_text(&trusted, "gp@nhs.example", "Test", "Over TLS".into())
        .await
        .unwrap();
    let got = mails(&maildir);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Over TLS"));
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_start() {
    let (cert, key) = (fixture("server.pem"), fixture("server.key"));
    let (_smtp, maildir, port) = smtp_sink_with(&["--smtpscert", &cert, "--smtpskey", &key]).await;
    let m = config(format!("smtps://localhost:{port}"), true);
    web::mail::send_text(&m, "gp@nhs.example", "Test", "Wrapped".into())
        .await
        .unwrap();
    assert_eq!(mails(&maildir).len(), 1);
    // A plain relay cannot take smtps:// mail: nothing goes in the clear.
    let (_plain, plain_dir, plain_port) = smtp_sink().await;
    let m = config(format!("smtps://localhost:{plain_port}"), true);
    assert!(
        web::mail::send_text(&m, "gp@nhs.example", "Test", "x".into())
            .await
            .is_err()
    );
    assert!(mails(&plain_dir).is_empty());
}

#[test]
fn a_relay_elsewhere_without_tls_is_refused_at_start_up() {
    // Checked when the configuration loads: no TLS, no mail, unless the deployment says so.
    let plain = linkwork::config::Config::load(&Default::default(), &|k| match k {
        "LINKWORK_SMTP_URL" => Some("smtp-plain://relay.example.nhs.uk".into()),
        _ => None,
    });
    assert!(plain.is_err());
    let r = web::mail::relay("smtp://relay.example.nhs.uk:587", false).unwrap();
    assert_eq!(r.security, web::mail::Security::StartTls);
    let allowed = web::mail::relay("smtp://relay.example.nhs.uk:25", true).unwrap();
    assert!(allowed.may_be_plain());
}

/// Refers someone with the referrer's contact `email` and queues the message back to it.
async fn queued_message_back(app: &TestApp, family: &str, email: &str) -> i64 {
    let mut lw = signed_in(app, "lw").await;
    let mut fields = referral_fields(family, family, true);
    fields.retain(|(k, _)| *k != "postcode");
    fields.retain(|(k, _)| *k != "referrer_contact");
    fields.push(("referrer_contact", email));
    let page = lw.post("/referrals", &fields).await;
    let person = person_of(&page.location.expect(&page.body));
    let ep = first_episode(app, person).await.id;
    app.store
        .queue_message_back(app.pcn_a, ep, &storage::Actor::system("test"))
        .await
        .unwrap();
    ep
}

#[tokio::test]
async fn personal_data_is_emailed_only_to_the_domains_allowed() {
    let (_smtp, maildir, port) = smtp_sink().await;
    let mut mail = config(format!("smtp://127.0.0.1:{port}"), false);
    mail.personal_data_domains = vec!["nhs.example".into(), "*.gov.example".into()];
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            mail: Some(mail),
            ..Default::default()
        },
    )
    .await;
    let outside = queued_message_back(&app, "Outbox", "someone@mail.example").await;
    let inside = queued_message_back(&app, "Bramble", "dr.test@nhs.example").await;
    let council = queued_message_back(&app, "Castellan", "officer@leeds.gov.example").await;
    let sent = web::message_back::send_due(&app.state).await.unwrap();
    assert_eq!(sent, 2);
    assert_eq!(mails(&maildir).len(), 2);
    let held = app
        .store
        .messages_for_episode(app.pcn_a, outside)
        .await
        .unwrap();
    assert!(
        held[0].sent_at.is_none() && held[0].next_attempt_at.is_none(),
        "{held:?}"
    );
    assert!(held[0]
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("not one allowed to receive personal data")));
    for ep in [inside, council] {
        let m = app.store.messages_for_episode(app.pcn_a, ep).await.unwrap();
        assert!(m[0].sent_at.is_some());
    }
}
