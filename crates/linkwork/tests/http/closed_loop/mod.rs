//! After first contact, over the real server: accept (and the GP-record code), assessment,
//! plan, outcome measures, matching, referral with consent, the partner's side of the loop,
//! safeguarding, referral back, health use and discharge. Bad input is refused with reasons
//! and changes nothing; partners and other PCNs are kept out. Also the reminder email,
//! through a real local SMTP server.
//!
//! The tests and shared helpers are here; the walk from referral to discharge is in
//! `discharge`, and partners kept to their own referrals in `partners`.

mod closing;
mod discharge;
mod matching;
mod partners;

use crate::helpers::*;
use directory::oruk::Organization;
use discharge::referral_to_discharge_and_the_partner_loop;
use domain::{Category, ReferralMode};
use partners::partners_only_see_their_own_referrals;
use storage::Actor;

/// A directory service run by the test partner's organisation, taking referrals.
pub(crate) async fn partner_service(app: &TestApp) -> String {
    let org = Organization {
        id: directory::new_id(),
        name: "Green Gym Trust".into(),
        description: "Gardening and conservation volunteering.".into(),
        ..Default::default()
    };
    let mut e = directory::Entry::new("Allotment mornings");
    e.service.organization_id = Some(org.id.clone());
    e.service.organization = Some(org.clone());
    e.service.description = Some("Friendly gardening mornings for all ages.".into());
    e.set_categories(&[Category::Gardening, Category::Befriending]);
    e.listing.referral_mode = ReferralMode::Referral;
    e.listing.response_days = 14;
    let actor = Actor::system("test");
    let saved = app.state.directory.save(&e, &actor).await.unwrap();
    let partner = app.store.list_partner_orgs().await.unwrap()[0].id;
    app.store
        .link_partner(&org.id, Some(partner), &actor)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();
    saved.service.id
}

async fn version(app: &TestApp, ep: i64) -> String {
    app.store
        .get_episode(app.pcn_a, ep)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string()
}

async fn records(app: &TestApp, person: i64) -> usize {
    app.store
        .records_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_to_discharge_on_sqlite() {
    let app = spawn_app().await;
    referral_to_discharge_and_the_partner_loop(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_to_discharge_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    referral_to_discharge_and_the_partner_loop(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_sqlite() {
    let app = spawn_app().await;
    closing::closing_asks_and_can_be_undone(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    closing::closing_asks_and_can_be_undone(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_page_on_sqlite() {
    let app = spawn_app().await;
    matching::match_page_applies_what_suits_them(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_page_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    matching::match_page_applies_what_suits_them(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_isolation_on_sqlite() {
    let app = spawn_app().await;
    partners_only_see_their_own_referrals(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_isolation_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    partners_only_see_their_own_referrals(&app).await;
}

/// The overdue reminder goes to the partner's users through a real SMTP server (Debian's
/// aiosmtpd, writing to a maildir), once, and names no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_referrals_are_reminded_by_email() {
    let (mut smtp, maildir, port) = smtp_sink().await;
    let config = web::WebConfig {
        mail: Some(web::MailConfig::new(
            format!("smtp://127.0.0.1:{port}"),
            "Linkwork <linkwork@test.example>",
            "https://linkwork.test.example",
        )),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let service = partner_service(&app).await;
    let mut lw = signed_in(&app, "lw").await;
    let person = refer(&mut lw, "Rex", "Minder").await;
    let ep = first_episode(&app, person).await.id;
    let (c, _) = app
        .store
        .create_connection(
            app.pcn_a,
            ep,
            &storage::NewConnection {
                service_id: service,
                service_name: "Allotment mornings".into(),
                organization_name: "Green Gym Trust".into(),
                partner_org_id: Some(app.store.list_partner_orgs().await.unwrap()[0].id),
                kind: domain::ConnectionKind::Referral,
                consent_at: Some(chrono::Utc::now() - chrono::Duration::days(20)),
                shared: storage::SharedDetails {
                    name: "Rex Minder".into(),
                    ..Default::default()
                },
                due_at: Some(chrono::Utc::now() - chrono::Duration::days(6)),
                note: String::new(),
                at: chrono::Utc::now() - chrono::Duration::days(20),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    // The PCN sees it flagged.
    let mut manager = signed_in(&app, "manager").await;
    let waiting = manager.get("/waiting").await;
    assert!(waiting.body.contains("Overdue"), "{}", waiting.body);
    // The dashboard's "needs attention" counts the work waiting on the team, naming no one:
    // the unassigned referral, the unanswered partner referral, and a safeguarding concern
    // raised as an immediate risk three days ago and still open.
    let concern = domain::Safeguarding {
        concern: "Left without heating".into(),
        raised_to: app.users["supervisor"],
        urgency: Some(domain::journey::SafeguardingUrgency::Immediate),
        ..Default::default()
    };
    app.store
        .add_record(
            app.pcn_a,
            ep,
            &storage::NewRecord {
                kind: domain::RecordKind::Safeguarding,
                status: "open".into(),
                body: serde_json::to_string(&concern).unwrap(),
                assigned_to: Some(app.users["supervisor"]),
                due_at: None,
                at: chrono::Utc::now() - chrono::Duration::days(3),
                summary: "Safeguarding concern raised".into(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let dash = manager.get("/dashboard").await;
    assert!(
        dash.body
            .contains("1 referral waiting to be assigned to a link worker"),
        "{}",
        dash.body
    );
    assert!(dash
        .body
        .contains("1 referral to community organisations not answered in time"));
    assert!(dash
        .body
        .contains("1 safeguarding concern open past the time its urgency allows"));
    assert!(!dash.body.contains("Rex"), "no one is named");
    // The organisation's home counts it, overdue first; the list says it in their words.
    let mut partner = signed_in(&app, "partner").await;
    let home = partner.get("/partner").await;
    assert!(
        home.body.contains(
            "<span class=\"stat__value\">1</span><span class=\"stat__label\">referral past the time to answer"
        ),
        "{}",
        home.body
    );
    let list = partner.get("/partner/referrals").await;
    assert!(list.body.contains("New: please accept or reject"));
    assert!(list.body.contains("Answer overdue"));
    // The supervisor's list shows it first, flagged.
    let mut sup = signed_in(&app, "supervisor").await;
    let list = sup.get("/safeguarding").await;
    assert!(
        list.body.contains("Overdue</strong> Open 3 days"),
        "{}",
        list.body
    );
    let sent = web::reminders::send_overdue(&app.state).await.unwrap();
    assert_eq!(sent, 1);
    let again = web::reminders::send_overdue(&app.state).await.unwrap();
    assert_eq!(again, 0, "reminded once");
    let mut mails = vec![];
    for _ in 0..50 {
        mails = std::fs::read_dir(maildir.path().join("box").join("new"))
            .map(|d| {
                d.flatten()
                    .map(|e| std::fs::read_to_string(e.path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one email delivered");
    let m = &mails[0];
    assert!(
        m.contains("To: \"Test partner\" <partner@test.example>"),
        "{m}"
    );
    assert!(
        m.contains("Reminder: a referral to Allotment mornings"),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "https://linkwork.test.example/partner/referrals/{}",
            c.id
        )),
        "{m}"
    );
    assert!(!m.contains("Rex"), "the email names no one: {m}");
    let _ = smtp.kill().await;
}
