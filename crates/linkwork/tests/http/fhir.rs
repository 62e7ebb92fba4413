//! The FHIR API over the real server, on SQLite and PostgreSQL: client credentials and
//! token rules; an inbound ServiceRequest lands on the PCN's unassigned queue, and bad ones
//! are refused with an OperationOutcome and change nothing; a partner's system answers its
//! Task (illegal moves refused, another organisation's Task out of reach) and the link
//! worker sees the answer; scopes and tenancy on every FHIR route; coding pulled twice is
//! delivered once; the message back renders; and every resource the server emitted is
//! validated by an independent FHIR implementation (Python `fhir.resources`).

use crate::helpers::*;
use chrono::Utc;
use domain::{
    CarePlan, ClientKind, ConnectionKind, ContactDetails, ContactType, EpisodeState, Instrument,
    Measure, MeasurePoint, RecordKind, Scope,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use storage::{Actor, NewApiClient, NewConnection, NewRecord, SharedDetails};
use web::routes::{Access, Method, Target};

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const LW: &str = "https://fhir.linkwork.example";

pub(crate) struct Fhir {
    base: String,
    http: reqwest::Client,
    /// Every resource the server sent back, for the independent validator.
    emitted: Vec<Value>,
}

impl Fhir {
    pub(crate) fn new(app: &TestApp) -> Self {
        Fhir {
            base: app.base.clone(),
            http: reqwest::Client::new(),
            emitted: vec![],
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = req.send().await.unwrap();
        let status = r.status();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
        if ct.starts_with("application/fhir+json") {
            assert!(body["resourceType"].is_string(), "{body}");
            self.emitted.push(body.clone());
        }
        (status, body)
    }

    pub(crate) async fn get(&mut self, token: &str, path: &str) -> (StatusCode, Value) {
        let req = self
            .http
            .get(format!("{}/fhir/{path}", self.base))
            .bearer_auth(token);
        self.send(req).await
    }

    async fn post(&mut self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let req = self
            .http
            .post(format!("{}/fhir/{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/fhir+json")
            .body(body.to_string());
        self.send(req).await
    }

    async fn put(&mut self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let req = self
            .http
            .put(format!("{}/fhir/{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/fhir+json")
            .body(body.to_string());
        self.send(req).await
    }

    pub(crate) async fn token(
        &self,
        id: &str,
        secret: &str,
        scope: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let r = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }
}

pub(crate) async fn client(
    app: &TestApp,
    id: &str,
    kind: ClientKind,
    pcn: Option<i64>,
    practice: Option<i64>,
    partner: Option<i64>,
    scopes: &[Scope],
) -> String {
    let secret = format!("{id}-secret");
    app.store
        .create_api_client(
            &NewApiClient {
                client_id: id.into(),
                name: format!("Test {id}"),
                kind,
                pcn_id: pcn,
                practice_id: practice,
                partner_org_id: partner,
                scopes: scopes.to_vec(),
                secret_hash: web::auth::sha256_hex(&secret),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    secret
}

fn inbound(nhs: &str, ods: &str, consent: bool) -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "contained": [
            {"resourceType": "Patient", "id": "p",
             "identifier": [{"system": NHS, "value": nhs}],
             "name": [{"family": "Inbound", "given": ["Fern"]}],
             "birthDate": "1955-03-14", "gender": "female",
             "telecom": [{"system": "phone", "value": "01632 960777"}],
             "address": [{"line": ["9 Test Lane"], "city": "Leeds", "postalCode": "LS1 4AP"}],
             "generalPractitioner": [{"identifier": {"system": ODS, "value": ods}}]},
            {"resourceType": "Practitioner", "id": "r", "name": [{"text": "Dr Rowan Test"}],
             "telecom": [{"system": "email", "value": "rowan.test@nhs.example"}]}
        ],
        "extension": [{"url": format!("{LW}/StructureDefinition/consent-to-refer"), "valueBoolean": consent}],
        "subject": {"reference": "#p"},
        "requester": {"reference": "#r"},
        "priority": "routine",
        "reasonCode": [{"coding": [{"system": format!("{LW}/CodeSystem/need"), "code": "loneliness"}]}],
        "note": [{"text": "Lives alone; would like company."}]
    })
}

fn python() -> String {
    if let Ok(p) = std::env::var("LINKWORK_FHIR_PYTHON") {
        return p;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-fhir/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

/// Runs the independent validator over everything emitted; fails the test if it fails.
fn validate_all(emitted: &[Value]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (n, v) in emitted.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!(
                "{n:04}-{}.json",
                v["resourceType"].as_str().unwrap()
            )),
            v.to_string(),
        )
        .unwrap();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir/validate.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .arg(dir.path())
        .output()
        .expect("run the FHIR validator (python3)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "FHIR validation failed:\n{text}");
    text
}

async fn fhir_api(engine: Engine) {
    let app = spawn_app_on(engine).await;
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
            gp_client.id,
            &web::auth::sha256_hex("expired-token"),
            &[RecordRead],
            Utc::now() - chrono::Duration::seconds(1),
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
    let mut lw = signed_in(&app, "lw").await;
    let triage = lw.get("/triage").await;
    assert!(triage.body.contains("INBOUND, Fern"), "{}", triage.body);
    let person = sr["subject"]["reference"]
        .as_str()
        .unwrap()
        .trim_start_matches("Patient/")
        .parse::<i64>()
        .unwrap();
    let referral_id = sr["id"].as_str().unwrap().to_string();
    let (s, _) = f
        .post(
            &narrow,
            "ServiceRequest",
            &inbound("6541003238", "Y00001", true),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "referral.write is needed");

    // Take the person through: accept (queues the GP code), plan, a measure, a contact and
    // a referral to the Green Gym.
    let ep = app
        .store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone();
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
            &ContactDetails {
                contact_type: ContactType::Telephone,
                at: Utc::now(),
                duration_minutes: Some(25),
                did_not_attend: false,
                present: vec![],
                notes: String::new(),
            },
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
    let task = format!("connection-{}", conn.id);

    // Reads as the PCN's GP system.
    for path in [
        format!("Patient/{person}"),
        format!("ServiceRequest/{referral_id}"),
        format!("ServiceRequest/{task}"),
        format!("Task/{task}"),
        format!("CarePlan/{plan_id}"),
        format!("Goal/{plan_id}-1"),
        format!("Observation/{measure_id}"),
        format!("Encounter/{}", contact.id),
        format!("Composition/episode-{}", ep.id),
        format!("Composition/episode-{}/$document", ep.id),
    ] {
        let (s, b) = f.get(&gp, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let (_, p) = f
        .get(&gp, &format!("Patient?identifier={NHS}|9434765919"))
        .await;
    assert_eq!(p["total"], 1, "{p}");
    assert_eq!(
        p["entry"][0]["resource"]["identifier"][0]["value"],
        "9434765919"
    );
    let (_, p) = f.get(&gp, "Patient?name=Fern&birthdate=1955-03-14").await;
    assert_eq!(p["total"], 1, "{p}");
    let (s, _) = f.get(&gp, "Patient?name=Fern").await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "name alone is too wide a search"
    );
    let (s, b) = f.get(&gp, "Patient?identifier=123").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = f.get(&gp, "Patient?nhs=9434765919").await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "unknown parameters are refused: {b}"
    );
    let (_, obs) = f
        .get(
            &gp,
            &format!("Observation?patient=Patient/{person}&_count=1"),
        )
        .await;
    assert_eq!(obs["total"], 2);
    assert_eq!(obs["entry"].as_array().unwrap().len(), 1);
    assert!(
        obs["link"][1]["url"]
            .as_str()
            .unwrap()
            .contains("_offset=1"),
        "{obs}"
    );
    let (_, o) = f.get(&gp, &format!("Observation/{measure_id}")).await;
    assert_eq!(
        o["valueQuantity"]["value"], 19.25,
        "SWEMWBS: 7 items × 3 = raw 21 = metric 19.25"
    );
    for path in ["CarePlan", "Goal", "Encounter", "ServiceRequest", "Task"] {
        let (s, b) = f.get(&gp, &format!("{path}?patient={person}")).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        assert!(b["total"].as_u64().unwrap() >= 1, "{path}: {b}");
    }

    // The partner's system answers its Task; the rules are the partner pages' rules.
    let (s, t) = f
        .get(
            &gym,
            &format!("Task?owner=Organization/partner-{green_gym}&status=requested"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["total"], 1, "{t}");
    assert_eq!(t["entry"][0]["resource"]["for"]["display"], "Fern Inbound");
    assert!(
        t["entry"][0]["resource"]["for"].get("reference").is_none(),
        "partners get no patient id"
    );
    let (s, _) = f.get(&gym, &format!("Patient/{person}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let update = |status: &str, reason: Option<&str>| {
        let mut t =
            json!({"resourceType": "Task", "id": task, "status": status, "intent": "order"});
        if let Some(r) = reason {
            t["statusReason"] = json!({"coding": [{"system": format!("{LW}/CodeSystem/connection-reason"), "code": r}]});
        }
        t
    };
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("completed", None))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "requested → completed is illegal: {b}"
    );
    assert!(b.to_string().contains("cannot move a referral"), "{b}");
    let (s, _) = f
        .put(&walk, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another organisation's Task");
    let (s, _) = f.get(&walk, &format!("Task/{task}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, w) = f.get(&walk, "Task").await;
    assert_eq!(w["total"], 0);
    let (s, _) = f
        .put(&gp, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a GP system cannot answer for a partner"
    );
    let stale = f
        .http
        .put(format!("{}/fhir/Task/{task}", app.base))
        .bearer_auth(&gym)
        .header("content-type", "application/fhir+json")
        .header("if-match", "W/\"99\"")
        .body(update("accepted", None).to_string());
    let (s, _) = f.send(stale).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("accepted", None))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = f
        .put(&gym, &format!("Task/{task}"), &update("completed", None))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "completed");
    let seen = lw.get(&format!("/people/{person}")).await;
    assert!(
        seen.body.contains("Completed (attended)"),
        "the link worker sees the partner's answer"
    );
    let (_, t) = f.get(&gym, &format!("Task/{task}")).await;
    assert_eq!(t["status"], "completed");

    // Scopes and tenancy on every FHIR route.
    let concrete = |p: &str| {
        p.replace(
            "{id}",
            &match p {
                p if p.starts_with("/Patient") => person.to_string(),
                p if p.starts_with("/ServiceRequest") => referral_id.clone(),
                p if p.starts_with("/Task") => task.clone(),
                p if p.starts_with("/CarePlan") | p.starts_with("/Observation") => {
                    (if p.starts_with("/CarePlan") {
                        plan_id
                    } else {
                        measure_id
                    })
                    .to_string()
                }
                p if p.starts_with("/Goal") => format!("{plan_id}-1"),
                p if p.starts_with("/Encounter") => contact.id.to_string(),
                p if p.starts_with("/Composition") => format!("episode-{}", ep.id),
                p if p.starts_with("/Bundle") => "coding-1".into(),
                _ => "x".into(),
            },
        )
    };
    let query = |p: &str| match p {
        "/Patient" => format!("?identifier={NHS}|9434765919"),
        "/CarePlan" | "/Goal" | "/Observation" | "/Encounter" | "/ServiceRequest" => {
            format!("?patient={person}")
        }
        _ => String::new(),
    };
    // The expectations come from the route table's rules (web::routes).
    let fhir_routes: Vec<_> = web::routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/fhir/"))
        .collect();
    assert!(fhir_routes.len() >= 27, "{}", fhir_routes.len());
    let mut checked = 0;
    for r in &fhir_routes {
        let route = r.path.trim_start_matches("/fhir");
        let method = r.method.as_str();
        let url = format!("{}/fhir{}{}", app.base, concrete(route), query(route));
        let call = |token: Option<&str>| {
            let mut req = match r.method {
                Method::Get => f.http.get(&url),
                Method::Post => f.http.post(&url),
                Method::Put => f.http.put(&url),
                Method::Patch => f.http.patch(&url),
            };
            req = req.header("content-type", "application/fhir+json");
            if route == "/Task/{id}" && r.method == Method::Put {
                req = req.body(update("cancelled", Some("other")).to_string());
            } else if r.method == Method::Post && route == "/ServiceRequest" {
                req = req.body(inbound("6541003238", "Y00001", true).to_string());
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req
        };
        let anonymous = call(None).send().await.unwrap().status();
        let narrow_s = call(Some(&narrow)).send().await.unwrap().status();
        let other = call(Some(&hub_b)).send().await.unwrap();
        let other_pcn = other.status();
        let other_body: Value = other.json().await.unwrap_or(Value::Null);
        let read_only = call(Some(&gp_read_only)).send().await.unwrap().status();
        checked += 4;
        let scope = match r.rule.access {
            Access::Public => {
                assert_eq!(anonymous, StatusCode::OK, "{method} {route}");
                continue;
            }
            Access::Client(scope) => scope,
            other => panic!("{method} {route}: a FHIR route with rule {other:?}"),
        };
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "{method} {route} without a token"
        );
        // `narrow` holds only directory.read; `gp_read_only` only record.read.
        let narrow_expected = scope == Scope::DirectoryRead;
        assert_eq!(
            narrow_s != StatusCode::FORBIDDEN,
            narrow_expected,
            "{method} {route} ({scope:?}) with only directory.read: {narrow_s}"
        );
        assert_eq!(
            read_only != StatusCode::FORBIDDEN,
            scope == Scope::RecordRead,
            "{method} {route} ({scope:?}) with only record.read: {read_only}"
        );
        // Another PCN's hub holds record.read, task.read and referral.write for its own PCN.
        if r.method == Method::Get && matches!(scope, Scope::RecordRead | Scope::TaskRead) {
            if r.rule.target == Target::None {
                assert!(
                    other_pcn == StatusCode::NOT_FOUND
                        || (other_pcn == StatusCode::OK && other_body["total"] == 0),
                    "{method} {route}: another PCN's hub finds nothing: {other_pcn} {other_body}"
                );
            } else {
                assert_eq!(
                    other_pcn,
                    StatusCode::NOT_FOUND,
                    "{method} {route}: another PCN's hub sees nothing"
                );
            }
        }
    }
    storage_tests::figure(&format!(
        "FHIR authorisation checks ({engine:?}): {} routes × 4 callers = {checked} checks",
        fhir_routes.len()
    ));

    // Coding: pulled twice is the same batch; acknowledged once; nothing sent twice.
    let (s, b1) = f.get(&gp, "$coding-batch").await;
    assert_eq!(s, StatusCode::OK, "{b1}");
    assert_eq!(b1["type"], "message");
    let codes = b1["entry"].as_array().unwrap().len() - 1;
    assert_eq!(codes, 1, "one accepted episode, one code: {b1}");
    let (_, b2) = f.get(&gp, "$coding-batch").await;
    assert_eq!(
        b1["id"], b2["id"],
        "a lost response is pulled again, unchanged"
    );
    assert_eq!(b1["entry"], b2["entry"]);
    let batch = b1["id"].as_str().unwrap().to_string();
    let csv = f
        .http
        .get(format!("{}/fhir/Bundle/{batch}?_format=csv", app.base))
        .bearer_auth(&gp)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("871731000000106") && csv.contains("9434765919"),
        "{csv}"
    );
    let (s, _) = f
        .post(&narrow, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, ack) = f
        .post(&gp, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ack.to_string().contains("1 code(s)"), "{ack}");
    let (_, again) = f
        .post(&gp, &format!("Bundle/{batch}/$acknowledge"), &json!({}))
        .await;
    assert!(
        again.to_string().contains("already acknowledged"),
        "{again}"
    );
    let entries = app
        .store
        .coding_entries(app.pcn_a, Some(app.practice_a), false)
        .await
        .unwrap();
    assert_eq!(entries.iter().filter(|e| e.recorded).count(), 1);
    let timeline = app.store.timeline(app.pcn_a, person).await.unwrap();
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.kind == "coding" && e.summary.contains("recorded"))
            .count(),
        1,
        "recorded once: {timeline:?}"
    );
    let (_, empty) = f.get(&gp, "$coding-batch").await;
    assert_eq!(
        empty["entry"].as_array().unwrap().len(),
        1,
        "only the header: nothing left"
    );

    // The message back: a document, a page, and an email queued at discharge.
    let (_, doc) = f
        .get(&gp, &format!("Composition/episode-{}/$document", ep.id))
        .await;
    assert_eq!(doc["type"], "document");
    assert_eq!(doc["entry"][0]["resource"]["resourceType"], "Composition");
    let text = doc.to_string();
    assert!(
        text.contains("What matters to the person")
            && text.contains("Allotment mornings")
            && text.contains("SWEMWBS"),
        "{text}"
    );
    assert!(
        text.contains("Getting out of the house &amp; meeting people"),
        "narrative is escaped XHTML"
    );
    let page = lw.get(&format!("/episodes/{}/message-back", ep.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Support offered and outcome")
            && page.body.contains("completed (attended)"),
        "{}",
        page.body
    );
    let ep = app
        .store
        .get_episode(app.pcn_a, ep.id)
        .await
        .unwrap()
        .unwrap();
    app.store
        .discharge(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::DischargeReason::GoalsMet,
            &serde_json::to_string(&domain::DischargeSummary {
                reason: domain::DischargeReason::GoalsMet,
                summary: "Goes to the garden weekly".into(),
            })
            .unwrap(),
            Utc::now(),
            &a,
        )
        .await
        .unwrap();
    let queued = app
        .store
        .messages_for_episode(app.pcn_a, ep.id)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "queued with the discharge");
    assert_eq!(queued[0].to_address, "rowan.test@nhs.example");
    // With no mail server set up it stays queued to retry, never dropped.
    web::message_back::send_due(&app.state).await.unwrap();
    let queued = app
        .store
        .messages_for_episode(app.pcn_a, ep.id)
        .await
        .unwrap();
    assert!(
        queued[0].sent_at.is_none() && queued[0].next_attempt_at.is_some(),
        "{queued:?}"
    );
    let (_, comp) = f.get(&gp, &format!("Composition/episode-{}", ep.id)).await;
    assert_eq!(comp["status"], "final");

    // Directory resources, for the validator too.
    let org = directory::oruk::Organization {
        id: directory::new_id(),
        name: "Green Gym Trust".into(),
        description: "Volunteering outdoors".into(),
        ..Default::default()
    };
    let mut e = directory::Entry::new("Allotment mornings");
    e.service.organization_id = Some(org.id.clone());
    e.service.organization = Some(org.clone());
    let loc = directory::oruk::Location {
        id: directory::new_id(),
        location_type: "physical".into(),
        name: Some("Hill allotments".into()),
        latitude: Some(53.8),
        longitude: Some(-1.55),
        addresses: vec![directory::oruk::Address {
            id: directory::new_id(),
            address_1: "Hill Lane".into(),
            city: "Leeds".into(),
            state_province: "West Yorkshire".into(),
            postal_code: "LS6 2AA".into(),
            country: "GB".into(),
            address_type: "physical".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    e.service.service_at_locations = vec![directory::oruk::ServiceAtLocation {
        id: directory::new_id(),
        location_id: Some(loc.id.clone()),
        location: Some(loc.clone()),
        ..Default::default()
    }];
    let saved = app.state.directory.save(&e, &a).await.unwrap();
    app.state.directory.refresh().await.unwrap();
    let (s, hs) = f.get(&gym, "HealthcareService?name=allotment").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hs["total"], 1, "{hs}");
    assert_eq!(
        f.get(&gym, &format!("HealthcareService/{}", saved.service.id))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        f.get(&gym, &format!("Organization/{}", org.id)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        f.get(&gym, &format!("Location/{}", loc.id)).await.0,
        StatusCode::OK
    );
    f.get(&gym, &format!("Organization/partner-{green_gym}"))
        .await;
    f.get(&gp, &format!("Organization/pcn-{}", app.pcn_a)).await;

    // Every resource emitted, validated independently.
    let report = validate_all(&f.emitted);
    println!("{report}");
    assert!(f.emitted.len() > 40, "{}", f.emitted.len());
}

#[tokio::test]
async fn fhir_api_sqlite() {
    fhir_api(Engine::Sqlite).await;
}

#[tokio::test]
async fn fhir_api_postgres() {
    fhir_api(Engine::Postgres).await;
}

/// Admins register a client on the page; the secret shown once signs in.
#[tokio::test]
async fn admin_registers_a_client_and_it_signs_in() {
    let app = spawn_app().await;
    let mut admin = signed_in(&app, "admin").await;
    let page = admin.get("/admin/api-clients").await;
    assert_eq!(page.status, StatusCode::OK);
    let bad = admin
        .post(
            "/admin/api-clients",
            &[("name", "Hub"), ("kind", "hub"), ("scopes", "task.update")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("may not have the scope"), "{}", bad.body);
    let practice = app.practice_a.to_string();
    let ok = admin
        .post(
            "/admin/api-clients",
            &[
                ("name", "Hill Surgery system"),
                ("kind", "gp_system"),
                ("practice_id", &practice),
                ("scopes", "coding.read"),
                ("scopes", "record.read"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let grab = |id: &str| {
        let start = ok.body.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        ok.body[start..].split('<').next().unwrap().to_string()
    };
    let (cid, secret) = (grab("client-id"), grab("client-secret"));
    let f = Fhir::new(&app);
    let (s, b) = f.token(&cid, &secret, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["scope"], "coding.read record.read");
    let mut lw = signed_in(&app, "lw").await;
    assert_eq!(
        lw.get("/admin/api-clients").await.status,
        StatusCode::FORBIDDEN
    );
    // Revoked: the token stops working at once.
    let id = app.store.api_clients().await.unwrap()[0].id;
    let r = admin
        .post(&format!("/admin/api-clients/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = reqwest::Client::new()
        .get(format!("{}/fhir/Patient/1", app.base))
        .bearer_auth(b["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, _) = f.token(&cid, &secret, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Practices without an integration download the same batches from the coding page and
/// confirm them there; a download repeated before confirming is the same batch.
#[tokio::test]
async fn coding_page_downloads_a_batch_and_confirms_it() {
    let app = spawn_app().await;
    let a = Actor::system("test");
    let mut person = storage_tests::suite::person("Coded", "Person", "1960-01-01");
    person.practice_id = Some(app.practice_a);
    let (_, ep) = app
        .store
        .create_referral(
            app.pcn_a,
            storage::PersonRef::New(Box::new(person)),
            &storage_tests::suite::referral(),
            None,
            Utc::now(),
            &a,
        )
        .await
        .unwrap();
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
    let (_, ep) = app
        .store
        .record_contact(
            app.pcn_a,
            ep.id,
            ep.version,
            &ContactDetails {
                contact_type: ContactType::Telephone,
                at: Utc::now(),
                duration_minutes: Some(10),
                did_not_attend: false,
                present: vec![],
                notes: String::new(),
            },
            &a,
        )
        .await
        .unwrap();
    app.store
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
    let mut lw = signed_in(&app, "lw").await;
    let practice = app.practice_a.to_string();
    let r = lw.post("/coding/batches", &[("practice", &practice)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = lw.get(&format!("/coding?practice={practice}")).await;
    assert!(page.body.contains("Download CSV"), "{}", page.body);
    let batch = app.store.open_coding_batches(app.pcn_a).await.unwrap()[0].id;
    lw.post("/coding/batches", &[("practice", &practice)]).await;
    assert_eq!(
        app.store
            .open_coding_batches(app.pcn_a)
            .await
            .unwrap()
            .len(),
        1,
        "the same batch again"
    );
    let csv = lw.get(&format!("/coding/batches/{batch}/download")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut rows = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][6], "871731000000106");
    assert_eq!(&rows[0][4], "Coded Person");
    let mut partner = signed_in(&app, "partner").await;
    assert_eq!(
        partner
            .get(&format!("/coding/batches/{batch}/download"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut lw_b = signed_in(&app, "lw_b").await;
    assert_eq!(
        lw_b.get(&format!("/coding/batches/{batch}/download"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = lw
        .post(&format!("/coding/batches/{batch}/acknowledge"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app
        .store
        .open_coding_batches(app.pcn_a)
        .await
        .unwrap()
        .is_empty());
    let pending = app
        .store
        .coding_entries(app.pcn_a, Some(app.practice_a), true)
        .await
        .unwrap();
    assert!(pending.is_empty(), "recorded: {pending:?}");
}
