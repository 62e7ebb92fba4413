//! Recording contacts on the page and through the API: the first contact moves the episode
//! on, bad input is refused with reasons and changes nothing, other PCNs and roles are kept out.

use crate::helpers::*;
use reqwest::StatusCode;

async fn referred_episode(app: &TestApp, lw: &mut Browser) -> (i64, i64) {
    let person = refer(lw, "Connie", "Tact").await;
    let ep = first_episode(app, person).await;
    (person, ep.id)
}

pub async fn contacts_on_page_and_api(app: &TestApp) {
    let mut lw = signed_in(app, "lw").await;
    let (person, ep_id) = referred_episode(app, &mut lw).await;
    let form = lw.get(&format!("/episodes/{ep_id}/contacts/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Record a contact"));
    let ep = app
        .store
        .get_episode(app.pcn_a, ep_id)
        .await
        .unwrap()
        .unwrap();
    let v = ep.version.to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let now_hm = chrono::Utc::now().format("%H:%M").to_string();

    // Bad input: every problem named, nothing saved.
    let bad = lw
        .post(
            &format!("/episodes/{ep_id}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "carrier pigeon"),
                ("date", "2099-01-01"),
                ("time", "25:61"),
                ("duration_minutes", "0"),
                ("present", "neighbour"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "Choose how the contact happened",
        "24-hour HH:MM",
        "from 1 to 480",
        "Choose who was present",
    ] {
        assert!(bad.body.contains(msg), "{msg}");
    }
    assert!(app
        .store
        .contacts_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .is_empty());

    // Someone in another PCN, or a referrer, cannot add one.
    let mut other = signed_in(app, "lw_b").await;
    other.get("/settings").await;
    let res = other
        .post(
            &format!("/episodes/{ep_id}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("duration_minutes", "10"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let mut referrer = signed_in(app, "referrer").await;
    referrer.get("/settings").await;
    let res = referrer
        .post(
            &format!("/episodes/{ep_id}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("duration_minutes", "10"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app
        .store
        .contacts_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .is_empty());

    // A good contact: the episode moves from referred to contacting.
    let ok = lw
        .post(
            &format!("/episodes/{ep_id}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("time", &now_hm),
                ("duration_minutes", "20"),
                ("present", "person"),
                ("notes", "Talked about the lunch club"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = lw.get(ok.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Contact recorded."));
    assert!(
        page.body.contains("1 contact (usual range 6–12)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Telephone, 20 min"));
    assert!(page.body.contains("Talked about the lunch club"));
    assert!(page.body.contains("Contacting"));
    // Posting the same old version again is refused: the episode changed.
    let stale = lw
        .post(
            &format!("/episodes/{ep_id}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("time", &now_hm),
                ("duration_minutes", "5"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // The API: the same rules.
    let (http, bearer) = api_as(app, "lw").await;
    let ep = app
        .store
        .get_episode(app.pcn_a, ep_id)
        .await
        .unwrap()
        .unwrap();
    let url = format!("{}/api/v1/episodes/{ep_id}/contacts", app.base);
    let res = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&serde_json::json!({"contact_type": "home_visit", "date": today, "time": now_hm, "duration_minutes": "0", "version": ep.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = http
        .post(&url)
        .header("authorization", &bearer)
        .json(&serde_json::json!({"contact_type": "home_visit", "date": today, "time": now_hm, "duration_minutes": "45", "present": ["person", "carer"], "version": ep.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["episode"]["state"], "contacting");
    let list: serde_json::Value = api_json(&http, &bearer, &url).await;
    assert_eq!(list["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(list["contacts"][0]["contact_type"], "home_visit");
}

#[tokio::test]
async fn contacts_on_sqlite() {
    contacts_on_page_and_api(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    contacts_on_page_and_api(&spawn_app_on(Engine::Postgres).await).await;
}
