//! After first contact, over the real server: accept (and the GP-record code), assessment,
//! plan, outcome measures, matching, referral with consent, the partner's side of the loop,
//! safeguarding, referral back, health use and discharge. Bad input is refused with reasons
//! and changes nothing; partners and other PCNs are kept out. Also the reminder email,
//! through a real local SMTP server.

use crate::helpers::*;
use directory::oruk::Organization;
use domain::{Category, ReferralMode};
use reqwest::StatusCode;
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

pub async fn referral_to_discharge_and_the_partner_loop(app: &TestApp) {
    let service = partner_service(app).await;
    let mut lw = signed_in(app, "lw").await;
    let person = person_of(
        &lw.post("/referrals", &referral_fields("Olive", "Loop", true))
            .await
            .location
            .unwrap(),
    );
    let ep = app
        .store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .id;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let now_hm = chrono::Utc::now().format("%H:%M").to_string();
    // A missed call: closing as unable to contact needs three attempts.
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("time", &now_hm),
                ("did_not_attend", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/state"),
            &[("version", &v), ("state", "unable_to_contact")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("at least 3 times"), "{}", r.body);
    // The person accepts: the referral code is queued for their practice, once.
    let r = lw
        .post(
            &format!("/episodes/{ep}/state"),
            &[("version", &v), ("state", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let coding = lw.get("/coding").await;
    assert!(coding.body.contains("871731000000106"), "{}", coding.body);
    assert!(coding.body.contains("Olive Loop"));

    // Assessment: out-of-range scores are refused with the field named; nothing saved.
    let bad = lw
        .post(
            &format!("/episodes/{ep}/assessment"),
            &[
                ("assessed_on", &today),
                ("what_matters", "Getting out and meeting people"),
                ("score_loneliness", "7"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("whole number from 1 to 5"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("Getting out and meeting people"),
        "input kept"
    );
    assert_eq!(records(app, person).await, 0);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/assessment"),
            &[
                ("assessed_on", &today),
                ("what_matters", "Getting out and meeting people"),
                ("score_loneliness", "4"),
                ("interests", "gardening"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // Plan, then its print view.
    let review = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let ok = lw
        .post(
            &format!("/episodes/{ep}/plan"),
            &[
                ("based_on", "0"),
                ("what_matters", "Getting out and meeting people"),
                ("goal_1", "Go to a gardening group every week"),
                ("action_what_1", "Visit the allotment"),
                ("action_owner_1", "person"),
                ("action_due_1", &review),
                ("review_on", &review),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let print = lw.get(&format!("/episodes/{ep}/plan/print")).await;
    assert!(print.body.contains("My care and support plan"));
    assert!(print.body.contains("Go to a gardening group every week"));
    // Outcome measures: a range check, then baseline and review show a change.
    let mut items: Vec<(&str, &str)> = vec![
        ("instrument", "ons4"),
        ("point", "baseline"),
        ("taken_on", &today),
        ("life_satisfaction", "11"),
        ("worthwhile", "4"),
        ("happiness", "4"),
        ("anxiety", "7"),
    ];
    let bad = lw.post(&format!("/episodes/{ep}/measures"), &items).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("from 0 to 10"), "{}", bad.body);
    items[3].1 = "3";
    assert_eq!(
        lw.post(&format!("/episodes/{ep}/measures"), &items)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    items[1].1 = "review";
    items[3].1 = "6";
    lw.post(&format!("/episodes/{ep}/measures"), &items).await;
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(page.body.contains("<svg class=\"chart\""), "chart shown");
    assert!(
        page.body
            .contains("Life satisfaction: 3 to 6, up by 3 (better)"),
        "{}",
        page.body
    );

    // Matching proposes the partner's service with its reasons.
    let m = lw.get(&format!("/episodes/{ep}/match")).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.body.contains("Allotment mornings"), "{}", m.body);
    assert!(m.body.contains("Matches their interest in gardening"));
    // A referral without consent is refused; nothing is sent.
    let bad = lw
        .post(
            &format!("/episodes/{ep}/connections"),
            &[
                ("kind", "referral"),
                ("service", &service),
                ("share_phone", "yes"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("agrees to share"), "{}", bad.body);
    assert!(app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .is_empty());
    let ok = lw
        .post(
            &format!("/episodes/{ep}/connections"),
            &[
                ("kind", "referral"),
                ("service", &service),
                ("consent", "yes"),
                ("about", "Would like to meet people"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let conn = app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(conn.shared.name, "Olive Loop");
    assert!(conn.shared.phone.is_empty(), "phone not ticked, not shared");
    let ep_now = app.store.get_episode(app.pcn_a, ep).await.unwrap().unwrap();
    assert_eq!(ep_now.state, domain::EpisodeState::Active);

    // The partner sees the referral with only the shared details, and answers it.
    let mut p = signed_in(app, "partner").await;
    let list = p.get("/partner/referrals").await;
    assert!(list.body.contains("Olive Loop"));
    let detail = p.get(&format!("/partner/referrals/{}", conn.id)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Would like to meet people"));
    assert!(!detail.body.contains("1958"), "no date of birth");
    // The partner cannot reach the person's record.
    assert_eq!(
        p.get(&format!("/people/{person}")).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = p
        .post(
            &format!("/partner/referrals/{}", conn.id),
            &[("version", &conn.version.to_string()), ("to", "rejected")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("reason"), "{}", bad.body);
    for (v, to) in (conn.version..).zip(["accepted", "in-progress", "completed"]) {
        let r = p
            .post(
                &format!("/partner/referrals/{}", conn.id),
                &[("version", &v.to_string()), ("to", to)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(
        page.body.contains("Completed (attended)"),
        "status on the person page"
    );
    assert!(page.body.contains("referral completed"), "on the timeline");

    // Safeguarding to the GP supervisor, who closes it with the action taken.
    let sup = app.users["supervisor"].to_string();
    let bad = lw
        .post(
            &format!("/episodes/{ep}/safeguarding"),
            &[("concern", ""), ("raised_to", &sup)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/safeguarding"),
            &[("concern", "Bruising on both arms"), ("raised_to", &sup)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let mut s = signed_in(app, "supervisor").await;
    let dash = s.get("/safeguarding").await;
    assert!(dash.body.contains("Bruising on both arms"));
    let rec = app
        .store
        .records_by_status(app.pcn_a, domain::RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()[0]
        .clone();
    // A link worker cannot close it.
    let r = lw
        .post(
            &format!("/safeguarding/{}", rec.id),
            &[("version", "1"), ("action", "Closed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .post(
            &format!("/safeguarding/{}", rec.id),
            &[
                ("version", "1"),
                ("action", "GP reviewed; adult social care told"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!s
        .get("/safeguarding")
        .await
        .body
        .contains("Bruising on both arms"));

    // Referral back and health service use.
    let r = lw
        .post(
            &format!("/episodes/{ep}/referral-back"),
            &[("clinician", "Dr Shah"), ("reason", "Low mood")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let bad = lw
        .post(
            &format!("/episodes/{ep}/health-use"),
            &[
                ("period", "before"),
                ("gp_appointments", "-3"),
                ("ae_attendances", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Discharge needs a reason and a summary; then the episode is closed, a new one can open.
    let v = version(app, ep).await;
    let bad = lw
        .post(
            &format!("/episodes/{ep}/discharge"),
            &[("version", &v), ("reason", "goals_met")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/discharge"),
            &[
                ("version", &v),
                ("reason", "goals_met"),
                ("summary", "Gardening weekly and feels better"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(page.body.contains("Gardening weekly and feels better"));
    let again = lw.get(&format!("/episodes/{ep}/plan")).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "closed episodes take no plan"
    );
    // Another PCN sees nothing of it.
    let mut other = signed_in(app, "lw_b").await;
    assert_eq!(
        other
            .get(&format!("/episodes/{ep}/assessment"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Every step is on the audit log.
    let audit = app.store.all_audit().await.unwrap();
    for action in [
        "assessment.create",
        "plan.create",
        "measure.create",
        "connection.create",
        "connection.status",
        "safeguarding.create",
        "safeguarding.update",
        "referral_back.create",
        "episode.discharge",
        "coding.queue",
    ] {
        assert!(audit.iter().any(|a| a.action == action), "{action} audited");
    }
}

/// A partner acting on another organisation's referral is refused and nothing changes.
pub async fn partners_only_see_their_own_referrals(app: &TestApp) {
    let service = partner_service(app).await;
    let mut lw = signed_in(app, "lw").await;
    let person = person_of(
        &lw.post("/referrals", &referral_fields("Ada", "Other", true))
            .await
            .location
            .unwrap(),
    );
    let ep = app
        .store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .id;
    lw.post(
        &format!("/episodes/{ep}/connections"),
        &[
            ("kind", "referral"),
            ("service", &service),
            ("consent", "yes"),
        ],
    )
    .await;
    let conn = app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone();
    // Move the referral to another organisation: the test partner must now be kept out.
    let other = app
        .store
        .create_partner_org("Another Trust")
        .await
        .unwrap()
        .id;
    let org = app
        .state
        .directory
        .entry(&service)
        .await
        .unwrap()
        .unwrap()
        .service
        .organization_id
        .unwrap();
    app.store
        .link_partner(&org, Some(other), &Actor::system("test"))
        .await
        .unwrap();
    let mut p = signed_in(app, "partner").await;
    // Still theirs (the referral keeps the organisation it was sent to).
    assert_eq!(
        p.get(&format!("/partner/referrals/{}", conn.id))
            .await
            .status,
        StatusCode::OK
    );
    // A referral addressed to another organisation.
    let (c2, _) = app
        .store
        .create_connection(
            app.pcn_a,
            ep,
            &storage::NewConnection {
                service_id: service.clone(),
                service_name: "Elsewhere".into(),
                organization_name: "Another Trust".into(),
                partner_org_id: Some(other),
                kind: domain::ConnectionKind::Referral,
                consent_at: Some(chrono::Utc::now()),
                shared: storage::SharedDetails {
                    name: "Ada Other".into(),
                    ..Default::default()
                },
                due_at: None,
                note: String::new(),
                at: chrono::Utc::now(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    assert_eq!(
        p.get(&format!("/partner/referrals/{}", c2.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = p
        .post(
            &format!("/partner/referrals/{}", c2.id),
            &[("version", &c2.version.to_string()), ("to", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let after = app
        .store
        .get_connection(storage::ConnectionScope::Pcn(app.pcn_a), c2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.status,
        domain::ConnectionStatus::Requested,
        "nothing changed"
    );
    assert!(!p.get("/partner/referrals").await.body.contains("Elsewhere"));
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
        mail: Some(web::MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{port}"),
            from: "Linkwork <linkwork@test.example>".into(),
            public_url: "https://linkwork.test.example".into(),
        }),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let service = partner_service(&app).await;
    let mut lw = signed_in(&app, "lw").await;
    let person = person_of(
        &lw.post("/referrals", &referral_fields("Rex", "Minder", true))
            .await
            .location
            .unwrap(),
    );
    let ep = app
        .store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .id;
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
