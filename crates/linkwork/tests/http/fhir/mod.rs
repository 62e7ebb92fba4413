//! The FHIR API over the real server, on SQLite and PostgreSQL: client credentials and
//! token rules; an inbound ServiceRequest lands on the PCN's unassigned queue, and bad ones
//! are refused with an OperationOutcome and change nothing; a partner's system answers its
//! Task (illegal moves refused, another organisation's Task out of reach) and the link
//! worker sees the answer; scopes and tenancy on every FHIR route; coding pulled twice is
//! delivered once; the message back renders; and every resource the server emitted is
//! validated by an independent FHIR implementation (Python `fhir.resources`).
//!
//! The scenario runs in steps that share a `Scene` (the server, the clients and their
//! tokens) and a `Journey` (what the steps made): the first steps are in `referral`, the
//! checks after them in `checks`.

mod checks;
mod referral;
mod smart;

use crate::helpers::*;
use chrono::Utc;
use domain::{ClientKind, EpisodeState, Scope};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use storage::{Actor, NewApiClient};

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
    // The second, independent validator: Medplum's (tests/fhir, npm ci there).
    let medplum =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir/validate-medplum.mjs");
    let out = std::process::Command::new("node")
        .arg(medplum)
        .arg(dir.path())
        .output()
        .expect("run the Medplum FHIR validator (node; npm ci in tests/fhir)");
    let second = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "FHIR validation (Medplum) failed:\n{second}"
    );
    format!("{text}\n{second}")
}

/// What the scenario sets up first and every step uses: the server, the FHIR client and
/// the tokens of each API client.
struct Scene {
    app: TestApp,
    a: Actor,
    f: Fhir,
    green_gym: i64,
    /// The PCN's GP system (every scope it may hold).
    gp: String,
    /// A GP system with only directory.read.
    narrow: String,
    /// Another PCN's hub.
    hub_b: String,
    /// The Green Gym's system, and another partner's.
    gym: String,
    walk: String,
    /// The GP system's token with only record.read.
    gp_read_only: String,
    /// The Green Gym system's client secret (the client libraries sign in with it).
    gym_secret: String,
}

/// What the first steps made for the checks: the link worker's session, the person, their
/// referral and episode, a contact, a plan, a measure and the Green Gym's Task.
struct Journey {
    lw: Browser,
    person: i64,
    referral_id: String,
    ep: storage::Episode,
    contact: storage::Contact,
    plan_id: i64,
    measure_id: i64,
    task: String,
}

/// The whole FHIR scenario on one engine, step by step; then every resource the server
/// emitted, validated independently.
async fn fhir_api(engine: Engine) {
    let mut s = referral::clients_and_tokens(engine).await;
    let (lw, person, referral_id) = referral::inbound_referrals(&mut s).await;
    let mut j = referral::take_through(&s, lw, person, referral_id).await;
    checks::reads_as_gp(&mut s, &mut j).await;
    checks::partner_answers_its_task(&mut s, &mut j).await;
    checks::paging_is_stable_while_tasks_change(&mut s, &mut j).await;
    checks::http_details_are_standard(&mut s, &mut j).await;
    checks::retries_make_one_referral(&mut s).await;
    checks::scopes_and_tenancy(&mut s, &mut j, engine).await;
    checks::coding_is_delivered_once(&mut s, &mut j).await;
    checks::message_back(&mut s, &mut j).await;
    checks::directory_resources(&mut s).await;

    // Every resource emitted, validated independently.
    let report = validate_all(&s.f.emitted);
    println!("{report}");
    assert!(s.f.emitted.len() > 40, "{}", s.f.emitted.len());
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
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let to = ok.location.clone().unwrap();
    let ok = admin.get(&to).await;
    assert!(
        !admin.get(&to).await.body.contains("client-secret"),
        "the secret is shown once"
    );
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
            &phone_call(Utc::now(), 10),
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

/// The CapabilityStatement says what the routes do: each interaction it lists is a route of
/// the server's one route table, and each FHIR route is listed (so neither can drift).
#[tokio::test]
async fn capability_statement_matches_the_route_table() {
    let app = spawn_app().await;
    let cs: Value = reqwest::get(format!("{}/fhir/metadata", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let routes: Vec<(String, String)> = web::routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/fhir/"))
        .map(|r| {
            (
                r.method.as_str().to_string(),
                r.path.trim_start_matches("/fhir").to_string(),
            )
        })
        .collect();
    let mut declared: Vec<(String, String)> = vec![];
    for r in cs["rest"][0]["resource"].as_array().unwrap() {
        let t = r["type"].as_str().unwrap();
        for i in r["interaction"].as_array().unwrap() {
            let (method, path) = match i["code"].as_str().unwrap() {
                "read" => ("GET", format!("/{t}/{{id}}")),
                "vread" => ("GET", format!("/{t}/{{id}}/_history/{{vid}}")),
                "search-type" => ("GET", format!("/{t}")),
                "create" => ("POST", format!("/{t}")),
                "update" => ("PUT", format!("/{t}/{{id}}")),
                other => panic!("{t}: an interaction the test does not know: {other}"),
            };
            assert!(
                routes.iter().any(|(m, p)| m == method && *p == path),
                "the CapabilityStatement lists {method} {path}, which no route serves"
            );
            declared.push((method.to_string(), path));
        }
    }
    // Every route is declared, but for discovery and operations (listed as operations).
    for (m, p) in &routes {
        let operation = p.contains('$') || p == "/metadata" || p.starts_with("/.well-known");
        assert!(
            operation || declared.iter().any(|(dm, dp)| dm == m && dp == p),
            "{m} {p} is served but the CapabilityStatement does not list it"
        );
    }
}

/// A GP system that codes a referral's reason only in SNOMED CT: read through the
/// deployment's `[fhir_reason_codes]` map as that need (the words kept), and an unmapped
/// code refused with the code named and nothing made.
#[tokio::test]
async fn snomed_only_reasons_follow_the_deployments_map() {
    let config = web::WebConfig {
        reason_codes: [("1000000001".to_string(), domain::Need::Loneliness)]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let secret = client(
        &app,
        "gp",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(app.practice_a),
        None,
        &[Scope::ReferralWrite, Scope::RecordRead],
    )
    .await;
    let mut f = Fhir::new(&app);
    let (_, t) = f.token("gp", &secret, None).await;
    let token = t["access_token"].as_str().unwrap().to_string();
    let sct = "http://snomed.info/sct";
    let mut unmapped = inbound("9000000009", "Y00001", true);
    unmapped["reasonCode"] =
        json!([{"coding": [{"system": sct, "code": "1000000002", "display": "Money worries"}]}]);
    unmapped.as_object_mut().unwrap().remove("note");
    let (st, b) = f.post(&token, "ServiceRequest", &unmapped).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("1000000002 (Money worries)"), "{b}");
    assert!(app
        .store
        .all_audit()
        .await
        .unwrap()
        .iter()
        .all(|e| e.action != "referral.create"));
    // Unmapped but with words of its own: goes on as a described reason, the code kept.
    let mut described = inbound("9000000017", "Y00001", true);
    described["reasonCode"] =
        json!([{"coding": [{"system": sct, "code": "1000000002", "display": "Money worries"}]}]);
    let (st, b) = f.post(&token, "ServiceRequest", &described).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert!(
        b.to_string()
            .contains("Money worries (SNOMED CT 1000000002)"),
        "{b}"
    );
    let mut mapped = inbound("9000000009", "Y00001", true);
    mapped["reasonCode"] =
        json!([{"coding": [{"system": sct, "code": "1000000001", "display": "Feels isolated"}]}]);
    let (st, b) = f.post(&token, "ServiceRequest", &mapped).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let text = b.to_string();
    assert!(text.contains("loneliness"), "{b}");
    assert!(
        text.contains("Feels isolated (SNOMED CT 1000000001)"),
        "{b}"
    );
}

/// A deployment's LOINC or SNOMED CT codes for an instrument (`[[fhir_measure_codes]]`) are
/// added to its Observations beside Linkwork's own coding; other instruments are untouched.
#[tokio::test]
async fn measure_codes_set_by_the_deployment_are_added() {
    let config = web::WebConfig {
        measure_codes: [(
            domain::Instrument::Ons4,
            vec![json!({"system": "http://loinc.org", "code": "TEST-ONS4", "display": "A verified code"})],
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let mut lw = signed_in(&app, "lw").await;
    let person = refer(&mut lw, "Mea", "Surecode").await;
    let ep = first_episode(&app, person).await;
    let (http, bearer) = api_as(&app, "lw").await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for (instrument, answers) in [
        (
            "ons4",
            json!({"life_satisfaction": "6", "worthwhile": "7", "happiness": "5", "anxiety": "4"}),
        ),
        (
            "mycaw",
            json!({"concern_1": "4", "concern_2": "3", "wellbeing": "4"}),
        ),
    ] {
        let r = http
            .post(format!("{}/api/v1/episodes/{}/measures", app.base, ep.id))
            .header("authorization", &bearer)
            .json(&json!({"instrument": instrument, "point": "baseline", "taken_on": today, "answers": answers}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{instrument}");
    }
    let secret = client(
        &app,
        "hub",
        ClientKind::Hub,
        Some(app.pcn_a),
        None,
        None,
        &[Scope::RecordRead],
    )
    .await;
    let mut f = Fhir::new(&app);
    let (_, t) = f.token("hub", &secret, None).await;
    let token = t["access_token"].as_str().unwrap().to_string();
    let (st, b) = f
        .get(&token, &format!("Observation?patient=Patient/{person}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let codes: Vec<Value> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["code"]["coding"].clone())
        .collect();
    assert_eq!(codes.len(), 2, "{b}");
    let with_loinc = codes
        .iter()
        .filter(|c| c.to_string().contains("TEST-ONS4"))
        .count();
    assert_eq!(with_loinc, 1, "only the ONS4 Observation: {codes:?}");
    assert!(codes
        .iter()
        .all(|c| c.to_string().contains("CodeSystem/outcome-measure")));
}
