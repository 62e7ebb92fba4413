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
