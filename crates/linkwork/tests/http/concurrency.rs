//! Two people editing the same record at once: the first save wins, the second is told,
//! saves nothing, and gets the form back with everything they typed.

use crate::helpers::*;
use reqwest::StatusCode;

fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[i..].split('"').next().unwrap().to_string()
}

async fn post_plan(b: &mut Browser, ep: i64, fields: Vec<(String, String)>) -> Page {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(&format!("/episodes/{ep}/plan"), &refs).await
}

pub async fn two_editors(app: &TestApp) {
    let mut lw = signed_in(app, "lw").await;
    let mut lw2 = signed_in(app, "lw2").await;
    let person = refer(&mut lw, "Rosa", "Parallel").await;
    let ep = first_episode(app, person).await;

    // The person's details: both open the edit form, the first saves, the second is told.
    let form_1 = lw.get(&format!("/people/{person}/edit")).await;
    let form_2 = lw2.get(&format!("/people/{person}/edit")).await;
    let v1 = value_of(&form_1.body, "version");
    assert_eq!(v1, value_of(&form_2.body, "version"));
    let mut first = person_fields("Rosa", "Parallel");
    first.push(("phone", "0113 496 0001"));
    first.push(("version", &v1));
    assert_eq!(
        lw.post(&format!("/people/{person}"), &first).await.status,
        StatusCode::SEE_OTHER
    );
    let mut second = person_fields("Rosalind", "Parallel");
    second.push(("phone", "0113 496 0999"));
    second.push(("version", &v1));
    let stale = lw2.post(&format!("/people/{person}"), &second).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("Someone else changed this person"));
    assert!(
        stale.body.contains("value=\"Rosalind\"") && stale.body.contains("0113 496 0999"),
        "what the second editor typed comes back"
    );
    let saved = app
        .store
        .get_person(app.pcn_a, person)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.details.given_name, "Rosa", "the first save stands");
    assert_eq!(saved.details.phone, "0113 496 0001");
    // Saving the returned form again is a deliberate second save, and it works.
    let v2 = value_of(&stale.body, "version");
    assert_ne!(v2, v1);
    let mut again = person_fields("Rosalind", "Parallel");
    again.push(("phone", "0113 496 0999"));
    again.push(("version", &v2));
    assert_eq!(
        lw2.post(&format!("/people/{person}"), &again).await.status,
        StatusCode::SEE_OTHER
    );

    // The care and support plan: both open the form, the first saves a version, the
    // second's save is refused with their plan in the form, and no version is lost.
    let review = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let plan = |what: &'static str, based_on: String| {
        let review = review.clone();
        move || {
            vec![
                ("based_on".to_string(), based_on.clone()),
                ("what_matters".to_string(), what.to_string()),
                ("goal_1".to_string(), format!("{what}: weekly")),
                ("review_on".to_string(), review.clone()),
            ]
        }
    };
    let open_1 = lw.get(&format!("/episodes/{}/plan", ep.id)).await;
    let open_2 = lw2.get(&format!("/episodes/{}/plan", ep.id)).await;
    let based = value_of(&open_1.body, "based_on");
    assert_eq!(based, value_of(&open_2.body, "based_on"));
    let ok = post_plan(&mut lw, ep.id, plan("Gardening", based.clone())()).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let stale = post_plan(&mut lw2, ep.id, plan("Choir", based.clone())()).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale
        .body
        .contains("Someone else saved a new version of this plan"));
    assert!(
        stale.body.contains("Choir: weekly"),
        "the second plan comes back"
    );
    let plans = |app: &TestApp| {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        async move {
            store
                .records_for_person(pcn, person)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.kind == domain::RecordKind::Plan)
                .count()
        }
    };
    assert_eq!(plans(app).await, 1, "only the first save made a version");
    let newer = value_of(&stale.body, "based_on");
    assert_ne!(newer, based);
    let ok = post_plan(&mut lw2, ep.id, plan("Choir", newer)()).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(plans(app).await, 2, "both versions kept");
}

#[tokio::test]
async fn two_editors_on_sqlite() {
    two_editors(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_editors_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    two_editors(&spawn_app_on(Engine::Postgres).await).await;
}
