//! The FHIR scenario's first steps: the API clients and their tokens, inbound referrals,
//! and the person taken through to a referral to the Green Gym.

use super::{client, inbound, Fhir, Journey, Scene};
use crate::helpers::*;
use chrono::Utc;
use domain::{
    CarePlan, ClientKind, ConnectionKind, EpisodeState, Instrument, Measure, MeasurePoint,
    RecordKind, Scope,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use storage::{Actor, NewConnection, NewRecord, SharedDetails};

/// Registers the GP system, a narrow client, another PCN's hub and two partners' systems;
/// checks the token rules and the CapabilityStatement, and hands on their tokens.
pub(super) async fn clients_and_tokens(engine: Engine) -> Scene {
    clients_and_tokens_on(spawn_app_on(engine).await).await
}

/// The same clients and tokens on a server already started.
pub(super) async fn clients_and_tokens_on(app: TestApp) -> Scene {
    let a = Actor::system("test");
    let pcn_b = app.store.list_pcns().await.unwrap()[1].id;
    let green_gym = app.store.list_partner_orgs().await.unwrap()[0].id;
    let walk_club = app.store.create_partner_org("Walk Club").await.unwrap().id;
    use Scope::*;
    let gp_secret = client(
        &app,
        "gp",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(app.practice_a),
        None,
        &[
            ReferralWrite,
            RecordRead,
            TaskRead,
            CodingRead,
            CodingAck,
            DirectoryRead,
        ],
    )
    .await;
    let narrow_secret = client(
        &app,
        "narrow",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(app.practice_a),
        None,
        &[DirectoryRead],
    )
    .await;
    let hub_b_secret = client(
        &app,
        "hub-b",
        ClientKind::Hub,
        Some(pcn_b),
        None,
        None,
        &[ReferralWrite, RecordRead, TaskRead, DirectoryRead],
    )
    .await;
    let gym_secret = client(
        &app,
        "gym",
        ClientKind::Partner,
        None,
        None,
        Some(green_gym),
        &[TaskRead, TaskUpdate, DirectoryRead],
    )
    .await;
    let walk_secret = client(
        &app,
        "walk",
        ClientKind::Partner,
        None,
        None,
        Some(walk_club),
        &[TaskRead, TaskUpdate, DirectoryRead],
    )
    .await;
    let mut f = Fhir::new(&app);

    // Tokens: wrong secret, wrong grant and too-wide scope are refused.
    let (s, b) = f.token("gp", "not-the-secret", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"], "invalid_client");
    let (s, b) = f.token("gym", &gym_secret, Some("referral.write")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"], "invalid_scope");
    let r = f
        .http
        .post(format!("{}/oauth/token", app.base))
        .basic_auth("gp", Some(&gp_secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let tok = |b: Value| b["access_token"].as_str().unwrap().to_string();
    let (s, b) = f.token("gp", &gp_secret, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["expires_in"], 600);
    let gp = tok(b);
    let narrow = tok(f.token("narrow", &narrow_secret, None).await.1);
    let hub_b = tok(f.token("hub-b", &hub_b_secret, None).await.1);
    let gym = tok(f.token("gym", &gym_secret, None).await.1);
    let walk = tok(f.token("walk", &walk_secret, None).await.1);
    let gp_read_only = tok(f.token("gp", &gp_secret, Some("record.read")).await.1);
    // An expired token is refused.
    let gp_client = app
        .store
        .api_clients()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.client_id == "gp")
        .unwrap();
    app.store
        .issue_client_token(
            &gp_client,
            &web::auth::sha256_hex("expired-token"),
            &[RecordRead],
            Utc::now() - chrono::Duration::seconds(1),
            "test",
            &a,
        )
        .await
        .unwrap();
    let (s, b) = f.get("expired-token", "Patient/1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["resourceType"], "OperationOutcome");

    // The CapabilityStatement.
    let (s, cap) = f.get("", "metadata").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cap["fhirVersion"], "4.0.1");
    Scene {
        app,
        a,
        f,
        green_gym,
        gp,
        narrow,
        hub_b,
        gym,
        walk,
        gp_read_only,
        gym_secret,
    }
}

/// Inbound referrals: wrong ones are refused with an OperationOutcome and change nothing;
/// a valid one lands on the unassigned queue. Returns the link worker, the person and the
/// referral.
pub(super) async fn inbound_referrals(s: &mut Scene) -> (Browser, i64, String) {
    let app = &s.app;
    let f = &mut s.f;
    let gp = s.gp.clone();
    let narrow = s.narrow.clone();
    // Inbound referrals that are wrong change nothing.
    let people_before = app
        .store
        .search_people(
            app.pcn_a,
            &storage::PersonQuery {
                name: Some("Inbound".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len();
    let queue_before = app.store.unassigned_queue(app.pcn_a).await.unwrap().len();
    let bad_nhs = f
        .post(
            &gp,
            "ServiceRequest",
            &inbound("4123456879", "Y00001", true),
        )
        .await;
    let no_consent = f
        .post(
            &gp,
            "ServiceRequest",
            &inbound("9434765919", "Y00001", false),
        )
        .await;
    let unknown_practice = f
        .post(
            &gp,
            "ServiceRequest",
            &inbound("9434765919", "ZZ9999", true),
        )
        .await;
    let other_pcn_practice = f
        .post(
            &gp,
            "ServiceRequest",
            &inbound("9434765919", "Y00002", true),
        )
        .await;
    let wrong_type = f
        .post(&gp, "ServiceRequest", &json!({"resourceType": "Patient"}))
        .await;
    let malformed = {
        let req = f
            .http
            .post(format!("{}/fhir/ServiceRequest", app.base))
            .bearer_auth(&gp)
            .header("content-type", "application/fhir+json")
            .body("{\"resourceType\": \"ServiceRequest\",");
        f.send(req).await
    };
    for (what, (status, body), expect, says) in [
        (
            "bad NHS number",
            &bad_nhs,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a valid NHS number",
        ),
        (
            "no consent",
            &no_consent,
            StatusCode::UNPROCESSABLE_ENTITY,
            "must agree to be referred",
        ),
        (
            "unknown practice",
            &unknown_practice,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ZZ9999 is not a practice",
        ),
        (
            "another PCN's practice",
            &other_pcn_practice,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Y00002 is not a practice",
        ),
        (
            "wrong resource type",
            &wrong_type,
            StatusCode::BAD_REQUEST,
            "Expected a ServiceRequest",
        ),
        (
            "malformed JSON",
            &malformed,
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
    ] {
        assert_eq!(*status, expect, "{what}: {body}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{what}");
        assert!(body.to_string().contains(says), "{what}: {body}");
    }
    assert_eq!(
        app.store.unassigned_queue(app.pcn_a).await.unwrap().len(),
        queue_before
    );
    assert_eq!(
        app.store
            .search_people(
                app.pcn_a,
                &storage::PersonQuery {
                    name: Some("Inbound".into()),
                    limit: 50,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .len(),
        people_before
    );

    // A valid one lands on the unassigned queue, visible to the link worker team.
    let (s, sr) = f
        .post(
            &gp,
            "ServiceRequest",
            &inbound("9434765919", "Y00001", true),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sr}");
    assert_eq!(sr["status"], "active");
    assert_eq!(sr["code"]["coding"][0]["code"], "871731000000106");
    let mut lw = signed_in(app, "lw").await;
    let triage = lw.get("/triage").await;
    assert!(triage.body.contains("INBOUND, Fern"), "{}", triage.body);
    let person = sr["subject"]["reference"]
        .as_str()
        .unwrap()
        .trim_start_matches("Patient/")
        .parse::<i64>()
        .unwrap();
    let referral_id = sr["id"].as_str().unwrap().to_string();
    // The NHS number already held, with other demographics: refused, naming the Patient to
    // refer for, and no second record made (issue 22, issue 25 item 1).
    let mut clash = inbound("9434765919", "Y00001", true);
    clash["contained"][0]["name"] = json!([{"family": "Otherway", "given": ["Fenella"]}]);
    clash["contained"][0]["birthDate"] = json!("1960-01-01");
    let (s, oo) = f.post(&gp, "ServiceRequest", &clash).await;
    assert_eq!(s, StatusCode::CONFLICT, "{oo}");
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert!(
        oo.to_string()
            .contains(&format!("may already be held as Patient/{person}")),
        "{oo}"
    );
    let held = app
        .store
        .search_people(
            app.pcn_a,
            &storage::PersonQuery {
                nhs_number: Some("9434765919".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "one record per NHS number");
    // Another practice's system refers the same patient (they have moved practice). It cannot
    // reach the record held, so nothing tells it that one exists: the referral is taken as a
    // new record, the match is audited against the record held, and the PCN team sees the
    // likely duplicate on the new one to merge.
    let second = app
        .store
        .create_practice(app.pcn_a, "Brook Surgery", "Y00003")
        .await
        .unwrap();
    let moved_secret = client(
        app,
        "gp-moved",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(second.id),
        None,
        &[Scope::ReferralWrite],
    )
    .await;
    let (_, b) = f.token("gp-moved", &moved_secret, None).await;
    let moved_gp = b["access_token"].as_str().unwrap().to_string();
    let (s, sr2) = f
        .post(
            &moved_gp,
            "ServiceRequest",
            &inbound("9434765919", "Y00003", true),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sr2}");
    assert!(
        !sr2.to_string().contains(&format!("Patient/{person}\"")),
        "the record at the other practice is not named: {sr2}"
    );
    let new_person = sr2["subject"]["reference"]
        .as_str()
        .unwrap()
        .trim_start_matches("Patient/")
        .parse::<i64>()
        .unwrap();
    assert_ne!(new_person, person);
    let new_details = app
        .store
        .get_person(app.pcn_a, new_person)
        .await
        .unwrap()
        .unwrap()
        .details;
    let likely: Vec<i64> = app
        .store
        .find_possible_duplicates(app.pcn_a, &new_details)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert!(likely.contains(&person), "{likely:?}");
    let matched = app
        .store
        .list_audit(&storage::AuditFilter {
            pcn_id: Some(app.pcn_a),
            action_prefix: Some("person.duplicate_matched".into()),
            entity_id: Some(person),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        matched.len(),
        2,
        "both inbound matches are audited against the record held"
    );
    let triage = lw.get("/triage").await;
    assert!(
        triage.body.contains("May already have a record"),
        "the triage queue flags the new record: {}",
        triage.body
    );
    let page = lw.get(&format!("/people/{new_person}")).await;
    assert!(
        page.body.contains("may be the same person"),
        "{}",
        page.body
    );
    let (s, _) = f
        .post(
            &narrow,
            "ServiceRequest",
            &inbound("6541003238", "Y00001", true),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "referral.write is needed");
    (lw, person, referral_id)
}

/// Takes the person through: accept (queues the GP code), plan, a measure, a contact and a
/// referral to the Green Gym.
pub(super) async fn take_through(
    s: &Scene,
    lw: Browser,
    person: i64,
    referral_id: String,
) -> Journey {
    let app = &s.app;
    let a = s.a.clone();
    let green_gym = s.green_gym;
    let ep = first_episode(app, person).await;
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            app.users["lw"],
            Utc::now(),
            &a,
        )
        .await
        .unwrap();
    let (contact, ep) = app
        .store
        .record_contact(
            app.pcn_a,
            ep.id,
            ep.version,
            &phone_call(Utc::now(), 25),
            &a,
        )
        .await
        .unwrap();
    let ep = app
        .store
        .transition_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            EpisodeState::Accepted,
            None,
            Utc::now(),
            &a,
        )
        .await
        .unwrap();
    let today = Utc::now().date_naive();
    let add = |kind: RecordKind, body: String| {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        let a = a.clone();
        async move {
            store
                .add_record(
                    pcn,
                    ep.id,
                    &NewRecord {
                        kind,
                        status: String::new(),
                        body,
                        assigned_to: None,
                        due_at: None,
                        summary: "test".into(),
                        at: Utc::now(),
                    },
                    &a,
                )
                .await
                .unwrap()
                .0
                .id
        }
    };
    let assessment = domain::Assessment {
        assessed_on: today,
        what_matters: "Getting out of the house & meeting people".into(),
        needs: vec![domain::journey::NeedScore {
            need: domain::Need::Loneliness,
            score: 4,
            note: String::new(),
        }],
        strengths: String::new(),
        interests: vec![],
        interest_words: String::new(),
        preferences: domain::Preferences::default(),
    };
    add(
        RecordKind::Assessment,
        serde_json::to_string(&assessment).unwrap(),
    )
    .await;
    let plan = CarePlan {
        agreed_on: today,
        what_matters: "Getting out of the house & meeting people".into(),
        goals: vec!["Go to a group once a week".into(), "Feel less alone".into()],
        actions: vec![domain::journey::PlanAction {
            what: "Try the allotment mornings".into(),
            owner: domain::ActionOwner::Person,
            owner_name: String::new(),
            due: today + chrono::Duration::days(14),
        }],
        support_offered: "Befriending phone calls".into(),
        review_on: today + chrono::Duration::days(42),
        phb: Default::default(),
    };
    let plan_id = add(RecordKind::Plan, serde_json::to_string(&plan).unwrap()).await;
    let m = |each: u8| Measure {
        instrument: Instrument::Swemwbs,
        point: MeasurePoint::Baseline,
        taken_on: today,
        items: Instrument::Swemwbs
            .items()
            .iter()
            .map(|(c, ..)| (c.to_string(), each))
            .collect(),
    };
    let measure_id = add(RecordKind::Measure, serde_json::to_string(&m(3)).unwrap()).await;
    let ons4 = Measure {
        instrument: Instrument::Ons4,
        point: MeasurePoint::Baseline,
        taken_on: today,
        items: Instrument::Ons4
            .items()
            .iter()
            .map(|(c, ..)| (c.to_string(), 5))
            .collect(),
    };
    add(RecordKind::Measure, serde_json::to_string(&ons4).unwrap()).await;
    let (conn, _) = app
        .store
        .create_connection(
            app.pcn_a,
            ep.id,
            &NewConnection {
                service_id: "svc-1".into(),
                service_name: "Allotment mornings".into(),
                organization_name: "Green Gym".into(),
                partner_org_id: Some(green_gym),
                kind: ConnectionKind::Referral,
                consent_at: Some(Utc::now()),
                shared: SharedDetails {
                    name: "Fern Inbound".into(),
                    phone: "01632 960777".into(),
                    link_worker: "Test lw".into(),
                    link_worker_contact: "lw@test.example".into(),
                    ..Default::default()
                },
                due_at: Some(Utc::now() + chrono::Duration::days(14)),
                note: "Prefers mornings".into(),
                at: Utc::now(),
            },
            &a,
        )
        .await
        .unwrap();
    // A signpost as the pages make one: nothing shared, no link worker named (its
    // ServiceRequest once carried `"requester": {"display": ""}`, which FHIR forbids).
    app.store
        .create_connection(
            app.pcn_a,
            ep.id,
            &NewConnection {
                service_id: "svc-2".into(),
                service_name: "Library reading group".into(),
                organization_name: "Harrowby Library".into(),
                partner_org_id: None,
                kind: ConnectionKind::Signpost,
                consent_at: None,
                shared: SharedDetails::default(),
                due_at: None,
                note: String::new(),
                at: Utc::now(),
            },
            &a,
        )
        .await
        .unwrap();
    let task = format!("connection-{}", conn.id);
    Journey {
        lw,
        person,
        referral_id,
        ep,
        contact,
        plan_id,
        measure_id,
        task,
    }
}
