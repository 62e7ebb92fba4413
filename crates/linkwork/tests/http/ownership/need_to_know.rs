//! Need-to-know inside a PCN: safeguarding concerns, referrers, GP systems bound to their
//! practice, and a link worker's reason before opening someone else's person.

use super::audit_of;
use crate::helpers::*;
use crate::matrix::world;
use reqwest::StatusCode;

/// Finding 5: a safeguarding concern is open to the supervisor it was raised to; another
/// supervisor of the same PCN gets what a missing concern gets, and changes nothing.
pub(super) async fn a_concern_is_open_only_to_its_supervisor(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    // A concern raised to the matrix's other supervisor of PCN A ("sup-…"), not to ours.
    let sup = app
        .store
        .user_by_email(&format!("sup-{}@matrix.example", app.pcn_a))
        .await
        .unwrap()
        .unwrap()
        .id;
    let concern = domain::Safeguarding {
        concern: "Raised to the other supervisor".into(),
        raised_to: sup,
        ..Default::default()
    };
    let (record, _) = app
        .store
        .add_record(
            app.pcn_a,
            w.own.episode,
            &storage::NewRecord {
                kind: domain::RecordKind::Safeguarding,
                status: "open".into(),
                body: serde_json::to_string(&concern).unwrap(),
                assigned_to: Some(sup),
                due_at: None,
                summary: "Safeguarding concern".into(),
                at: chrono::Utc::now(),
            },
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let id = record.id;
    // Link workers see concerns they raised or about their own people: lw2 sees neither.
    let list = signed_in(&app, "lw2").await.get("/safeguarding").await;
    assert!(
        !list.body.contains("Raised to the other supervisor"),
        "{}",
        list.body
    );
    let list = signed_in(&app, "lw").await.get("/safeguarding").await;
    assert!(
        list.body.contains("Raised to the other supervisor"),
        "lw's own person"
    );
    let mut other_sup = signed_in(&app, "supervisor").await;
    let path = format!("/safeguarding/{id}");
    assert_eq!(other_sup.get(&path).await.status, StatusCode::NOT_FOUND);
    let p = other_sup
        .post(
            &path,
            &[("version", "1"), ("action", "Closed by the wrong GP")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let r = app.store.get_record(app.pcn_a, id).await.unwrap().unwrap();
    assert_eq!(r.status, "open");
    // The supervisor it was raised to opens and closes it.
    app.store
        .set_password(
            r.assigned_to.unwrap(),
            &web::auth::hash_password(PASSWORD).unwrap(),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let mut own_sup = Browser::new(&app);
    own_sup
        .sign_in(&format!("sup-{}@matrix.example", app.pcn_a), PASSWORD)
        .await;
    let page = own_sup.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let p = own_sup
        .post(
            &path,
            &[
                ("version", &r.version.to_string()),
                ("action", "Spoke to the practice safeguarding lead"),
                ("la_contacted", "no"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "safeguarding: another supervisor refused reading and closing a concern; the assigned one closes it"
    ));
}

/// Finding 9: a referral that joins an existing record tells the referrer neither that
/// record's id nor the names they did not type.
pub(super) async fn a_referrer_learns_nothing_of_an_existing_record(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let a = storage::Actor::system("test");
    let mut known = storage_tests::suite::person("Secretname", "Known", "1950-03-01");
    known.nhs_number = Some(domain::NhsNumber::parse("9434765919").unwrap());
    let existing = app
        .store
        .create_person(app.pcn_a, &known, &a)
        .await
        .unwrap();
    let (http, bearer) = api_as(&app, "referrer").await;
    let body = serde_json::json!({
        "person": {"given_name": "Typed", "family_name": "Known", "date_of_birth": "1950-03-01", "nhs_number": "9434765919"},
        "source": "community_pharmacy", "referrer_name": "A Pharmacist", "referrer_contact": "0113 496 0456",
        "needs": ["loneliness"], "urgency": "routine", "consent": true
    });
    let r = http
        .post(format!("{}/api/v1/referrals", app.base))
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = r.text().await.unwrap();
    assert!(!text.contains("Secretname"), "{text}");
    assert!(
        !text.contains(&format!("\"person_id\":{}", existing.id)),
        "{text}"
    );
    // It did join the existing record.
    let episodes = app
        .store
        .episodes_for_person(app.pcn_a, existing.id)
        .await
        .unwrap();
    assert_eq!(episodes.len(), 1, "joined the existing record");
    let mut referrer = signed_in(&app, "referrer").await;
    let mine = referrer.get("/referrals/mine").await;
    assert!(
        mine.body.contains("Known, born 1 Mar 1950"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains("Secretname"));
    let api_mine = http
        .get(format!("{}/api/v1/referrals/mine", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !api_mine.contains("Secretname") && !api_mine.contains("person_id"),
        "{api_mine}"
    );
    // The message back, once there is one, names them as the list does: not the record's
    // stored name or practice.
    let ep = &episodes[0];
    app.store
        .close_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::EpisodeState::Declined,
            "Has support from family now",
            chrono::Utc::now(),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let message = referrer
        .get(&format!("/referrals/mine/{}/message", ep.id))
        .await;
    assert_eq!(message.status, StatusCode::OK, "{}", message.body);
    assert!(
        message.body.contains("Known, born 1 Mar 1950")
            && !message.body.contains("Secretname")
            && !message.body.contains("943 476 5919")
            && !message.body.contains("9434765919")
            && message
                .body
                .contains("Not shown: your referral joined a record"),
        "{}",
        message.body
    );
    // The audit log names who the referrer was shown, for the PCN.
    let shown = audit_of(&app, app.pcn_a, "referral.list").await;
    assert!(shown
        .iter()
        .any(|e| e.detail.contains(&format!("shown: people {}", existing.id))));
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "referrers: no id or stored name of a joined record in the API answer, my referrals page or API list"
    ));
}

/// Finding 3: a GP system's client is bound to its practice: people registered at another
/// practice of the same PCN answer as missing, by id and in every search; a hub still reaches
/// the whole PCN.
pub(super) async fn a_gp_system_reaches_only_its_practices_people(engine: Engine) {
    use crate::fhir::{client, Fhir};
    use domain::{ClientKind, Scope::*};
    let app = spawn_app_on(engine).await;
    let w = world(&app).await; // its person is registered at Hill Surgery (practice A)
    let dale = app
        .store
        .create_practice(app.pcn_a, "Dale Surgery", "Y00003")
        .await
        .unwrap()
        .id;
    let gp = client(
        &app,
        "dale-gp",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(dale),
        None,
        &[RecordRead, TaskRead],
    )
    .await;
    let hub = client(
        &app,
        "a-hub",
        ClientKind::Hub,
        Some(app.pcn_a),
        None,
        None,
        &[RecordRead, TaskRead],
    )
    .await;
    let mut f = Fhir::new(&app);
    let (_, t) = f.token("dale-gp", &gp, None).await;
    let gp_token = t["access_token"].as_str().unwrap().to_string();
    let (_, t) = f.token("a-hub", &hub, None).await;
    let hub_token = t["access_token"].as_str().unwrap().to_string();
    let person = w.own.person;
    let referral = app
        .store
        .referrals_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .id;
    let paths = [
        format!("Patient/{person}"),
        format!("ServiceRequest/referral-{referral}"),
        format!("ServiceRequest/connection-{}", w.own.connection),
        format!("Task/connection-{}", w.own.connection),
        format!("ServiceRequest?patient=Patient/{person}"),
        format!("Encounter?patient=Patient/{person}"),
        format!("Observation?patient=Patient/{person}"),
        format!("CarePlan?patient=Patient/{person}"),
        format!("Task?patient=Patient/{person}"),
    ];
    for path in &paths {
        let (status, body) = f.get(&hub_token, path).await;
        assert_eq!(status, StatusCode::OK, "the hub reads {path}: {body}");
        let (status, body) = f.get(&gp_token, path).await;
        if path.contains('?') {
            // A search for a patient the client does not hold finds nothing (FHIR's empty
            // Bundle, not a 404), the same as for no such patient.
            assert_eq!(
                (status, body["total"].as_u64()),
                (StatusCode::OK, Some(0)),
                "Dale's GP system searched {path}: {body}"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "Dale's GP system read {path}: {body}"
            );
        }
    }
    let (status, body) = f.get(&gp_token, "Task").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body
            .to_string()
            .contains(&format!("connection-{}", w.own.connection)),
        "{body}"
    );
    let (_, body) = f.get(&hub_token, "Task").await;
    assert!(body
        .to_string()
        .contains(&format!("connection-{}", w.own.connection)));
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "practice binding: 9 FHIR reads and searches of another practice's person answered 404 for a GP system and 200 for the PCN's hub"
    ));
}

/// Need-to-know: a link worker opening a person who is not theirs says why first; the reason
/// is audited under the PCN and opens the record; their own people, triage and managers are
/// not asked. The API refuses without a reason.
pub(super) async fn a_link_worker_says_why_before_opening_someone_elses_person(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await; // its person is lw's
    let person = format!("/people/{}", w.own.person);
    let mut lw = signed_in(&app, "lw").await;
    assert_eq!(lw.get(&person).await.status, StatusCode::OK, "their own");
    let mut manager = signed_in(&app, "manager").await;
    assert_eq!(
        manager.get(&person).await.status,
        StatusCode::OK,
        "oversight"
    );
    let mut lw2 = signed_in(&app, "lw2").await;
    let page = lw2.get(&person).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let to = page.location.unwrap();
    assert!(
        to.starts_with(&format!("/people/{}/access?next=", w.own.person)),
        "{to}"
    );
    let ask = lw2.get(&to).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Say why you need this record"));
    assert!(
        !ask.body.contains("Matrix"),
        "nothing of the person before the reason"
    );
    // Every way in is closed: an episode's pages and forms, the plan, the API.
    for path in [
        format!("/people/{}/edit", w.own.person),
        format!("/episodes/{}/contacts/new", w.own.episode),
        format!("/episodes/{}/message-back", w.own.episode),
    ] {
        let p = lw2.get(&path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert!(p.location.unwrap().contains("/access?next="), "{path}");
    }
    let token = api_token(&app, "lw2").await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/people/{}", app.base, w.own.person))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Referring someone who is not theirs is a use of the record too.
    let p = lw2
        .post(
            "/referrals",
            &[
                ("person_id", &w.own.person.to_string()),
                ("source", "gp"),
                ("referrer_name", "Dr Test"),
                ("referrer_contact", "0113 496 0000"),
                ("needs", "loneliness"),
                ("urgency", "routine"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap_or_default().contains("/access?next="));
    let asked = audit_of(&app, app.pcn_a, "access.reason_asked").await;
    assert!(asked.iter().all(|e| e.actor_id == Some(app.users["lw2"])) && asked.len() >= 4);
    // A reason is required, and "another reason" needs words.
    let action = format!("/people/{}/access", w.own.person);
    let p = lw2
        .post(&action, &[("reason", "other"), ("next", &person)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Describe why"));
    let p = lw2
        .post(
            &action,
            &[
                ("reason", "covering"),
                ("detail", "Sam is on leave this week"),
                ("next", &person),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some(person.as_str()));
    assert_eq!(lw2.get(&person).await.status, StatusCode::OK, "open now");
    let said = audit_of(&app, app.pcn_a, "person.access_reason").await;
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].entity_id, Some(w.own.person));
    assert_eq!(said[0].actor_id, Some(app.users["lw2"]));
    assert!(
        said[0].detail.contains("Covering for a colleague")
            && said[0].detail.contains("Sam is on leave")
    );
    // The manager sees it on the audit page.
    let audit = manager.get("/audit").await;
    assert!(
        audit.body.contains("Sam is on leave"),
        "the audit view shows the reason"
    );
    // Another PCN's person is not found, reason or not.
    let p = lw2
        .post(
            &format!("/people/{}/access", w.other.person),
            &[("reason", "duty")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "need-to-know: person page, edit, contact and message-back forms and the API asked for a reason; the reason audited and shown to the manager"
    ));
}
