//! The JSON API: personal tokens (shown once, hashed, revocable), the same validation
//! and rules as the pages, and the OpenAPI document.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_authenticate_the_api_until_revoked() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/v1/me", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["status"], 401);
    let r = http
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", "Bearer lw_madeup")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let token = api_token(&app, "lw").await;
    let (http, bearer) = api(&token);
    let me: Value = api_json(&http, &bearer, &format!("{}/api/v1/me", app.base)).await;
    assert_eq!(me["email"], "lw@test.example");
    assert!(me.get("password_hash").is_none(), "never sent");

    let mut b = signed_in(&app, "lw").await;
    let settings = b.get("/settings").await;
    assert!(
        settings.body.contains("test script") && !settings.body.contains(&token),
        "shown only once"
    );
    let tokens = app.store.list_api_tokens(app.users["lw"]).await.unwrap();
    let p = b
        .post(&format!("/settings/tokens/{}/revoke", tokens[0].id), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let r = http
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_api_refers_triages_and_lists_a_caseload_with_the_pages_rules() {
    let app = spawn_app().await;
    let token = api_token(&app, "referrer").await;
    let (http, bearer) = api(&token);
    let url = format!("{}/api/v1/referrals", app.base);
    let mut body = json!({
        "person": {"given_name": "Ivy", "family_name": "Api", "date_of_birth": "1944-02-29", "nhs_number": "6541003238", "postcode": "LS7 1AA"},
        "source": "community_pharmacy", "referrer_name": "A Pharmacist", "referrer_contact": "0113 496 0456",
        "needs": ["loneliness"], "urgency": "urgent", "consent": false
    });
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["fields"][0]["field"], "consent");
    assert!(
        app.store
            .unassigned_queue(app.pcn_a)
            .await
            .unwrap()
            .is_empty(),
        "nothing saved"
    );

    body["person"]["nhs_number"] = json!("6541003239");
    body["consent"] = json!(true);
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not a valid NHS number"));

    body["person"]["nhs_number"] = json!("6541003238");
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["episode"]["state"], "referred");
    let episode_id = created["episode"]["id"].as_i64().unwrap();
    // A referrer is not told the record's id (issue 19, finding 9), and cannot read people.
    assert!(created["episode"].get("person_id").is_none(), "{created}");
    assert!(created["referral"].get("person_id").is_none(), "{created}");
    let person_id = app
        .store
        .get_episode(app.pcn_a, episode_id)
        .await
        .unwrap()
        .unwrap()
        .person_id;
    let r = http
        .get(format!("{}/api/v1/people/{person_id}", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (http, bearer) = api_as(&app, "manager").await;
    let q: Value = api_json(
        &http,
        &bearer,
        &format!("{}/api/v1/episodes/unassigned", app.base),
    )
    .await;
    assert_eq!(q["episodes"].as_array().unwrap().len(), 1);
    assert_eq!(q["episodes"][0]["urgency"], "urgent");
    let lw = app.users["lw"];
    let assign = format!("{}/api/v1/episodes/{episode_id}/assign", app.base);
    let r = http
        .post(&assign)
        .header("authorization", &bearer)
        .json(&json!({"version": 1, "link_worker_id": lw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .post(&assign)
        .header("authorization", &bearer)
        .json(&json!({"version": 1, "link_worker_id": lw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "stale version");
    let t = format!("{}/api/v1/episodes/{episode_id}/transition", app.base);
    let r = http
        .post(&t)
        .header("authorization", &bearer)
        .json(&json!({"version": 2, "state": "flying"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Declining closes the episode: the API asks for the reason, as the page does.
    let r = http
        .post(&t)
        .header("authorization", &bearer)
        .json(&json!({"version": 2, "state": "declined"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "why", "{body}");
    assert_eq!(
        app.store
            .get_episode(app.pcn_a, episode_id)
            .await
            .unwrap()
            .unwrap()
            .version,
        2,
        "nothing changed"
    );
    let r = http
        .post(&t)
        .header("authorization", &bearer)
        .json(&json!({"version": 2, "state": "contacting"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let c: Value = api_json(
        &http,
        &bearer,
        &format!("{}/api/v1/caseloads/{lw}", app.base),
    )
    .await;
    assert_eq!(c["episodes"][0]["given_name"], "Ivy");
    assert_eq!(c["episodes"][0]["state"], "contacting");
    assert_eq!(c["taken_on_last_12_months"], 1);
    let found: Value = api_json(
        &http,
        &bearer,
        &format!("{}/api/v1/people?nhs_number=654%20100%203238", app.base),
    )
    .await;
    assert_eq!(found["people"].as_array().unwrap().len(), 1);
    let r = http
        .get(format!("{}/api/v1/people", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a search needs a criterion"
    );
}

#[tokio::test]
async fn people_through_the_api_use_versions_and_duplicate_checks() {
    let app = spawn_app().await;
    let (http, bearer) = api_as(&app, "lw").await;
    let url = format!("{}/api/v1/people", app.base);
    let person = json!({"given_name": "Mabel", "family_name": "Json", "date_of_birth": "1939-11-05", "postcode": "nope"});
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&person)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut person = person;
    person["postcode"] = json!("ls6 1ab");
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&person)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["postcode"], "LS6 1AB");
    assert!(
        p.get("nhs_number").is_none(),
        "empty optional fields are left out"
    );
    let r = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&person)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let dup: Value = r.json().await.unwrap();
    assert_eq!(dup["error"]["possible_duplicates"][0], p["id"]);
    let item = format!("{url}/{}", p["id"]);
    let mut update = person.clone();
    update["version"] = json!(1);
    update["phone"] = json!("0113 496 0777");
    assert_eq!(
        http.put(&item)
            .header("authorization", &bearer)
            .json(&update)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = http
        .put(&item)
        .header("authorization", &bearer)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("changed by someone else"));
    let got: Value = api_json(&http, &bearer, &item).await;
    assert_eq!(
        (got["version"].as_i64(), got["phone"].as_str()),
        (Some(2), Some("0113 496 0777"))
    );
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/referrals"]["post"].is_object());
}

/// The journey actions of the pages through the API, with the pages' rules: outcome
/// measures (items checked; a review on the baseline's day asked about once), referrals
/// back, the episode's records, and discharge, which needs its closing summary (the
/// transition endpoint no longer discharges without one). Another PCN and a referrer are
/// kept out; nothing bad is saved.
#[tokio::test]
async fn the_api_records_measures_referrals_back_and_discharges_with_the_pages_rules() {
    the_api_records_measures_referrals_back_and_discharges_with_the_pages_rules_on(
        spawn_app().await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_records_measures_referrals_back_and_discharges_with_the_pages_rules_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    the_api_records_measures_referrals_back_and_discharges_with_the_pages_rules_on(
        spawn_app_on(Engine::Postgres).await,
    )
    .await;
}

async fn the_api_records_measures_referrals_back_and_discharges_with_the_pages_rules_on(
    app: TestApp,
) {
    let mut lw = signed_in(&app, "lw").await;
    let person = refer(&mut lw, "Jude", "Apijourney").await;
    let ep = first_episode(&app, person).await;
    let id = ep.id;
    let (http, bearer) = api_as(&app, "lw").await;
    let base = app.base.clone();
    let post = |path: String, body: Value| {
        let http = http.clone();
        let bearer = bearer.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}/api/v1/episodes/{id}/{path}"))
                .header("authorization", &bearer)
                .json(&body)
                .send()
                .await
                .unwrap();
            let st = r.status();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let version = |app: &TestApp| {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        async move { store.get_episode(pcn, id).await.unwrap().unwrap().version }
    };
    let records = || {
        let http = http.clone();
        let bearer = bearer.clone();
        let url = format!("{base}/api/v1/episodes/{id}/records");
        async move { api_json(&http, &bearer, &url).await }
    };

    // Discharge through the transition endpoint is refused: it has no closing summary.
    let v = version(&app).await;
    let (st, b) = post(
        "transition".into(),
        json!({"version": v, "state": "discharged", "reason": "goals_met"}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "state", "{b}");
    assert_eq!(version(&app).await, v, "nothing changed");

    // An assessment: each problem named (an unknown need, a score out of range, nothing
    // said of what matters), nothing saved; then recorded, and again as a reassessment.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (st, b) = post(
        "assessments".into(),
        json!({"assessed_on": today, "what_matters": "", "needs": {"astrology": {"score": "3"}}}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "needs", "{b}");
    let (st, b) = post(
        "assessments".into(),
        json!({"assessed_on": today, "what_matters": "", "needs": {"loneliness": {"score": "9"}}}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let named = b["error"]["fields"].to_string();
    assert!(
        named.contains("what_matters") && named.contains("score_loneliness"),
        "{b}"
    );
    let (st, b) = post(
        "assessments".into(),
        json!({"assessed_on": today, "what_matters": "Getting out to see people again",
               "needs": {"loneliness": {"score": "4", "note": "Alone most days"}}}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["record"]["kind"], "assessment");
    assert_eq!(
        b["record"]["body"]["what_matters"],
        "Getting out to see people again"
    );

    // A plan: based on the wrong version saves nothing (409); an action due before today is
    // refused as on the page; then agreed, and reviewed on the latest version only.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let in_six_weeks = (chrono::Utc::now() + chrono::Duration::days(42))
        .format("%Y-%m-%d")
        .to_string();
    let plan = |based_on: Value, due: &str| {
        json!({"based_on": based_on, "what_matters": "Getting out to see people again",
               "goals": ["Join a group that meets weekly"],
               "actions": [{"what": "Try the walking group", "owner": "person", "due": due}],
               "review_on": in_six_weeks})
    };
    let (st, b) = post("plans".into(), plan(json!(12345), &in_six_weeks)).await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    let (st, b) = post("plans".into(), plan(Value::Null, &yesterday)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "action_due_1", "{b}");
    let (st, b) = post("plans".into(), plan(Value::Null, &in_six_weeks)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["record"]["kind"], "plan");
    let first_plan = b["record"]["id"].clone();
    let (st, _) = post("plans".into(), plan(Value::Null, &in_six_weeks)).await;
    assert_eq!(
        st,
        StatusCode::CONFLICT,
        "a first plan again, when one exists"
    );
    let (st, b) = post("plans".into(), plan(first_plan, &in_six_weeks)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    // A measure with a missing item and a bad point: each named, nothing saved.
    let answers =
        json!({"life_satisfaction": "6", "worthwhile": "7", "happiness": "5", "anxiety": "4"});
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (st, b) = post(
        "measures".into(),
        json!({"instrument": "ons4", "point": "sometime", "taken_on": today,
               "answers": {"life_satisfaction": "6", "worthwhile": "11"}}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<&str> = b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in ["point", "worthwhile", "happiness", "anxiety"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert_eq!(
        records().await["records"].as_array().unwrap().len(),
        3,
        "the assessment and two plans only"
    );
    let (st, b) = post(
        "measures".into(),
        json!({"instrument": "ons4", "point": "baseline", "taken_on": today, "answers": answers}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["record"]["kind"], "measure");
    assert_eq!(b["record"]["body"]["point"], "baseline");
    // A review the same day: asked about once, then recorded when confirmed.
    let review =
        json!({"instrument": "ons4", "point": "review", "taken_on": today, "answers": answers});
    let (st, b) = post("measures".into(), review.clone()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "same_day", "{b}");
    let mut confirmed = review;
    confirmed["same_day_confirmed"] = json!(true);
    assert_eq!(
        post("measures".into(), confirmed).await.0,
        StatusCode::CREATED
    );

    // A referral back needs who and why.
    let (st, _) = post(
        "referrals-back".into(),
        json!({"clinician": "", "reason": ""}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, b) = post(
        "referrals-back".into(),
        json!({"clinician": "Dr Rowan Test", "reason": "Low mood has worsened"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["record"]["kind"], "referral_back");

    // Another PCN's link worker and a referrer are kept out, and nothing is written.
    let (http_b, bearer_b) = api_as(&app, "lw_b").await;
    let r = http_b
        .post(format!("{}/api/v1/episodes/{id}/referrals-back", app.base))
        .header("authorization", &bearer_b)
        .json(&json!({"clinician": "Dr X", "reason": "Y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http_b
        .get(format!("{}/api/v1/episodes/{id}/records", app.base))
        .header("authorization", &bearer_b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (http_r, bearer_r) = api_as(&app, "referrer").await;
    let r = http_r
        .post(format!("{}/api/v1/episodes/{id}/measures", app.base))
        .header("authorization", &bearer_r)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Discharge needs a reason and a summary; then the episode is discharged.
    let v = version(&app).await;
    let (st, b) = post(
        "discharge".into(),
        json!({"version": v, "reason": "goals_met", "summary": ""}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(version(&app).await, v, "nothing changed");
    let (st, b) = post(
        "discharge".into(),
        json!({"version": v, "reason": "goals_met", "summary": "Goes to the walking group weekly; feels less alone."}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "discharged");
    // Closed: nothing more is added.
    let (st, _) = post(
        "referrals-back".into(),
        json!({"clinician": "Dr X", "reason": "Y"}),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let kinds: Vec<String> = records().await["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "assessment",
            "plan",
            "plan",
            "measure",
            "measure",
            "referral_back",
            "discharge"
        ]
    );
    // Every read of the records was audited against the person.
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "record.read" && e.entity_id == Some(person)));
}

/// A directory service that takes no referrals (people contact it themselves).
async fn signpost_only_service(app: &TestApp) -> String {
    let mut e = directory::Entry::new("Drop-in coffee morning");
    e.service.description = Some("Come along for a chat, no need to book.".into());
    e.set_categories(&[domain::Category::Befriending]);
    e.listing.referral_mode = domain::ReferralMode::SignpostOnly;
    let saved = app
        .state
        .directory
        .save(&e, &storage::Actor::system("test"))
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();
    saved.service.id
}

async fn send(http: &reqwest::Client, bearer: &str, url: &str, body: Value) -> (StatusCode, Value) {
    let r = http
        .post(url)
        .header("authorization", bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json::<Value>().await.unwrap_or(Value::Null))
}

async fn get_status(http: &reqwest::Client, bearer: &str, url: &str) -> (StatusCode, Value) {
    let r = http
        .get(url)
        .header("authorization", bearer)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json::<Value>().await.unwrap_or(Value::Null))
}

/// Signposting and referring through the API, with the pages' rules: a referral needs the
/// person's agreement and a service that takes referrals; the same open service twice is
/// refused; only the details asked for are shared; cancelling needs the version read.
/// Another PCN's link worker gets 404 and a referrer 403, and nothing is saved by either.
#[tokio::test]
async fn the_api_signposts_and_refers_with_the_pages_rules() {
    the_api_signposts_and_refers_with_the_pages_rules_on(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_signposts_and_refers_with_the_pages_rules_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    the_api_signposts_and_refers_with_the_pages_rules_on(spawn_app_on(Engine::Postgres).await)
        .await;
}

async fn the_api_signposts_and_refers_with_the_pages_rules_on(app: TestApp) {
    let takes_referrals = crate::closed_loop::partner_service(&app).await;
    let signpost_only = signpost_only_service(&app).await;
    let mut lw = signed_in(&app, "lw").await;
    let person = refer(&mut lw, "Nell", "Apiconnect").await;
    let id = first_episode(&app, person).await.id;
    let (http, bearer) = api_as(&app, "lw").await;
    let url = format!("{}/api/v1/episodes/{id}/connections", app.base);
    let stored = || {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        async move { store.connections_for_person(pcn, person).await.unwrap() }
    };

    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"kind": "teleport", "service": takes_referrals}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "kind", "{b}");
    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"kind": "referral", "service": takes_referrals, "share": ["age"]}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "consent", "{b}");
    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"kind": "referral", "service": signpost_only, "consent": true}),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not take referrals"),
        "{b}"
    );
    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"kind": "referral", "service": "no-such-service", "consent": true}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not in the directory"),
        "{b}"
    );
    let (st, b) = send(&http, &bearer, &url, json!({"kind": "referral", "service": takes_referrals, "consent": true, "share": ["shoe_size"]})).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown detail to share is refused: {b}"
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shoe_size"),
        "{b}"
    );
    assert!(
        stored().await.is_empty(),
        "nothing saved by a refused request"
    );

    // Another PCN's link worker and a referrer are kept out.
    let (http_b, bearer_b) = api_as(&app, "lw_b").await;
    let (st, _) = send(
        &http_b,
        &bearer_b,
        &url,
        json!({"kind": "signpost", "service": signpost_only}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(
        get_status(&http_b, &bearer_b, &url).await.0,
        StatusCode::NOT_FOUND
    );
    let (http_r, bearer_r) = api_as(&app, "referrer").await;
    let (st, _) = send(
        &http_r,
        &bearer_r,
        &url,
        json!({"kind": "signpost", "service": signpost_only}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(stored().await.is_empty());

    // Referred with agreement, sharing the age only; then the same again is refused.
    let ask = json!({"kind": "referral", "service": takes_referrals, "consent": true,
                     "about": "Wants to get outdoors", "share": ["age"]});
    let (st, b) = send(&http, &bearer, &url, ask.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let c = &b["connection"];
    assert_eq!(
        (c["kind"].as_str(), c["status"].as_str()),
        (Some("referral"), Some("requested")),
        "{b}"
    );
    assert!(
        c["shared"]["age"].is_number() && c["shared"].get("email").is_none(),
        "{b}"
    );
    assert_eq!(c["shared"]["about"], "Wants to get outdoors");
    assert!(c["consent_at"].is_string(), "{b}");
    let (st, b) = send(&http, &bearer, &url, ask).await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already referred"),
        "{b}"
    );
    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"kind": "signpost", "service": signpost_only}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert!(
        b["connection"]["shared"].get("age").is_none(),
        "nothing asked, nothing shared: {b}"
    );
    let (st, list) = get_status(&http, &bearer, &url).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["connections"].as_array().unwrap().len(), 2, "{list}");

    // Cancelling: on a stale version nothing changes; on the version read it is cancelled.
    let conn = stored()
        .await
        .into_iter()
        .find(|c| c.service_id == takes_referrals)
        .unwrap();
    let status_url = format!("{}/api/v1/connections/{}/status", app.base, conn.id);
    let (st, b) = send(
        &http_b,
        &bearer_b,
        &status_url,
        json!({"version": conn.version, "to": "cancelled", "reason": "other"}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another PCN: {b}");
    let (st, b) = send(
        &http,
        &bearer,
        &status_url,
        json!({"version": conn.version + 7, "to": "cancelled", "reason": "other"}),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    let (st, b) = send(&http, &bearer, &status_url, json!({"version": conn.version, "to": "cancelled", "reason": "no_longer_interested", "note": "Found a group nearer home"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["connection"]["status"], "cancelled");
    let now = stored()
        .await
        .into_iter()
        .find(|c| c.id == conn.id)
        .unwrap();
    assert_eq!(now.note, "Found a group nearer home");
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "connection.read" && e.entity_id == Some(person)));
}

/// Safeguarding through the API, with the pages' rules: a concern names what is missing and
/// saves nothing; it can be raised only to a GP supervisor of the PCN; the open list shows
/// each user what the page shows them; only the supervisor it was raised to reads and
/// closes it, on the version read, once.
#[tokio::test]
async fn the_api_raises_and_closes_safeguarding_concerns_with_the_pages_rules() {
    the_api_raises_and_closes_safeguarding_concerns_with_the_pages_rules_on(spawn_app().await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_raises_and_closes_safeguarding_concerns_with_the_pages_rules_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    the_api_raises_and_closes_safeguarding_concerns_with_the_pages_rules_on(
        spawn_app_on(Engine::Postgres).await,
    )
    .await;
}

async fn the_api_raises_and_closes_safeguarding_concerns_with_the_pages_rules_on(app: TestApp) {
    let mut lw = signed_in(&app, "lw").await;
    let person = refer(&mut lw, "Rae", "Apiconcern").await;
    let id = first_episode(&app, person).await.id;
    let (http, bearer) = api_as(&app, "lw").await;
    // On lw's caseload, so another link worker of the PCN has no need to know.
    let v = app
        .store
        .get_episode(app.pcn_a, id)
        .await
        .unwrap()
        .unwrap()
        .version;
    let (st, b) = send(
        &http,
        &bearer,
        &format!("{}/api/v1/episodes/{id}/assign", app.base),
        json!({"version": v, "link_worker_id": app.users["lw"]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let url = format!("{}/api/v1/episodes/{id}/safeguarding", app.base);
    let supervisor = app.users["supervisor"];
    let count = || {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        async move {
            store
                .records_for_person(pcn, person)
                .await
                .unwrap()
                .iter()
                .filter(|r| r.kind == domain::RecordKind::Safeguarding)
                .count()
        }
    };

    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"concern": "", "raised_to": app.users["lw2"]}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let named = b["error"]["fields"].to_string();
    for f in ["concern", "raised_to", "urgency", "kinds", "about"] {
        assert!(named.contains(&format!("\"{f}\"")), "{f} named in {b}");
    }
    let concern = json!({"about": "adult", "kinds": ["financial"], "urgency": "urgent",
                         "concern": "Neighbour is taking her pension card", "la_contacted": "no",
                         "raised_to": supervisor});
    let (http_b, bearer_b) = api_as(&app, "lw_b").await;
    assert_eq!(
        send(&http_b, &bearer_b, &url, concern.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    let (http_s, bearer_s) = api_as(&app, "supervisor").await;
    assert_eq!(
        send(&http_s, &bearer_s, &url, concern.clone()).await.0,
        StatusCode::FORBIDDEN,
        "a supervisor does not raise on an episode"
    );
    assert_eq!(count().await, 0, "nothing saved by a refused request");

    let (st, b) = send(&http, &bearer, &url, concern).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let c = &b["concern"];
    assert_eq!(
        (
            c["status"].as_str(),
            c["urgency"].as_str(),
            c["raised_to"].as_i64()
        ),
        (Some("open"), Some("urgent"), Some(supervisor)),
        "{b}"
    );
    let cid = c["id"].as_i64().unwrap();
    let version = c["version"].as_i64().unwrap();

    // Who sees it in the open list: the supervisor, the link worker who raised it, the
    // manager; not another link worker, nor another PCN.
    let list = format!("{}/api/v1/safeguarding", app.base);
    let has = |v: &Value| {
        v["concerns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == json!(cid))
    };
    for who in ["supervisor", "lw", "manager"] {
        let (h, t) = api_as(&app, who).await;
        let (st, v) = get_status(&h, &t, &list).await;
        assert_eq!(st, StatusCode::OK, "{who}: {v}");
        assert!(has(&v), "{who} sees it: {v}");
    }
    for who in ["lw2", "lw_b"] {
        let (h, t) = api_as(&app, who).await;
        let (st, v) = get_status(&h, &t, &list).await;
        assert_eq!(st, StatusCode::OK, "{who}: {v}");
        assert!(!has(&v), "{who} does not see it: {v}");
    }
    let (http_r, bearer_r) = api_as(&app, "referrer").await;
    assert_eq!(
        get_status(&http_r, &bearer_r, &list).await.0,
        StatusCode::FORBIDDEN
    );

    // Read and closed only by the supervisor it was raised to.
    let one = format!("{}/api/v1/safeguarding/{cid}", app.base);
    let close = format!("{one}/close");
    let a = storage::Actor::system("test");
    let other_sup = app
        .store
        .create_user(
            storage::NewUser {
                email: "supervisor2@test.example".into(),
                name: "Second supervisor".into(),
                role: domain::Role::Supervisor,
                pcn_id: Some(app.pcn_a),
                partner_org_id: None,
                password_hash: "x".into(),
            },
            &a,
        )
        .await
        .unwrap();
    app.store
        .create_api_token(
            other_sup.id,
            "t",
            &web::auth::sha256_hex("lw_othersupervisor"),
            &a,
        )
        .await
        .unwrap();
    let bearer_o = "Bearer lw_othersupervisor".to_string();
    assert_eq!(
        get_status(&http, &bearer_o, &one).await.0,
        StatusCode::NOT_FOUND,
        "another supervisor"
    );
    assert_eq!(
        send(
            &http,
            &bearer_o,
            &close,
            json!({"version": version, "action": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_status(&http, &bearer, &one).await.0,
        StatusCode::FORBIDDEN,
        "a link worker"
    );
    let (st, v) = get_status(&http_s, &bearer_s, &one).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["concern"]["concern"],
        "Neighbour is taking her pension card"
    );

    let (st, b) = send(
        &http_s,
        &bearer_s,
        &close,
        json!({"version": version, "action": ""}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "action", "{b}");
    let action = json!({"version": version + 3, "action": "Spoke to her daughter; bank told; adult social care referral made"});
    assert_eq!(
        send(&http_s, &bearer_s, &close, action.clone()).await.0,
        StatusCode::CONFLICT,
        "stale version"
    );
    let mut action = action;
    action["version"] = json!(version);
    let (st, b) = send(&http_s, &bearer_s, &close, action.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["concern"]["status"], "closed");
    assert_eq!(
        b["concern"]["la_contacted"], false,
        "the answer given when raised stands"
    );
    assert!(b["concern"]["closed_on"].is_string(), "{b}");
    action["version"] = b["concern"]["version"].clone();
    assert_eq!(
        send(&http_s, &bearer_s, &close, action).await.0,
        StatusCode::CONFLICT,
        "closed once"
    );
    let (_, v) = get_status(&http_s, &bearer_s, &list).await;
    assert!(!has(&v), "closed concerns leave the open list: {v}");
    // A concern raised saying the local authority was contacted on a date can be closed
    // saying it was not after all: the date as raised is not carried into a "no".
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (st, b) = send(
        &http,
        &bearer,
        &url,
        json!({"about": "adult", "kinds": ["neglect"], "urgency": "routine",
               "concern": "Not eating", "la_contacted": "yes", "la_contacted_on": yesterday,
               "raised_to": supervisor}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let second = format!(
        "{}/api/v1/safeguarding/{}/close",
        app.base, b["concern"]["id"]
    );
    let (st, b) = send(
        &http_s,
        &bearer_s,
        &second,
        json!({"version": b["concern"]["version"], "action": "Daughter now visits daily",
               "la_contacted": "no"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["concern"]["la_contacted"], false, "{b}");
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "safeguarding.read" && e.entity_id == Some(person)));
}
