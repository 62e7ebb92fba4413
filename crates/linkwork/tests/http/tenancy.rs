//! A user of one PCN can never read or change another PCN's records: pages and API
//! answer 404, and the attempt is audited.

use crate::helpers::*;
use reqwest::StatusCode;
use storage::AuditFilter;

pub async fn other_pcn_is_invisible(app: &TestApp) {
    let mut a = signed_in(app, "lw").await;
    let person = refer(&mut a, "Agnes", "Private").await;
    let id = person.to_string();
    let ep = first_episode(app, person).await;

    let mut b = signed_in(app, "lw_b").await;
    for path in [
        format!("/people/{id}"),
        format!("/people/{id}/edit"),
        format!("/referrals/new?person_id={id}"),
    ] {
        let p = b.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "GET {path}: {}", p.body);
        assert!(!p.body.contains("Agnes"));
    }
    let mut edit = person_fields("Hacked", "Name");
    edit.push(("version", "1"));
    assert_eq!(
        b.post(&format!("/people/{id}"), &edit).await.status,
        StatusCode::NOT_FOUND
    );
    let v = ep.version.to_string();
    let lw_b = app.users["lw_b"].to_string();
    assert_eq!(
        b.post(
            &format!("/episodes/{}/assign", ep.id),
            &[("version", &v), ("link_worker_id", &lw_b)]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.post(
            &format!("/episodes/{}/state", ep.id),
            &[("version", &v), ("state", "contacting")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert!(b
        .get("/people?name=agnes")
        .await
        .body
        .contains("0 people found"));
    let mut mb = signed_in(app, "manager_b").await;
    assert!(!mb.get("/triage").await.body.contains("Agnes"));
    assert_eq!(
        mb.get(&format!("/caseloads/{}", app.users["lw"]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let (http, bearer) = api_as(app, "lw_b").await;
    let r = http
        .get(format!("{}/api/v1/people/{id}", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .get(format!("{}/api/v1/episodes/{}", app.base, ep.id))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .put(format!("{}/api/v1/people/{id}", app.base))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"version": 1, "given_name": "Hacked", "family_name": "Name", "date_of_birth": "1950-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let still = app
        .store
        .get_person(app.pcn_a, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (still.details.given_name.as_str(), still.version),
        ("Agnes", 1),
        "nothing changed"
    );
    assert!(app
        .store
        .get_episode(app.pcn_a, ep.id)
        .await
        .unwrap()
        .unwrap()
        .link_worker_id
        .is_none());
    let denied = app
        .store
        .list_audit(&AuditFilter {
            action_prefix: Some("access.denied".into()),
            actor_id: Some(app.users["lw_b"]),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        denied.len() >= 9,
        "each attempt is audited ({})",
        denied.len()
    );
    assert!(denied
        .iter()
        .any(|r| r.entity == "person" && r.entity_id == Some(id.parse().unwrap())));
}

#[tokio::test]
async fn another_pcns_records_answer_404_and_are_audited() {
    let app = spawn_app().await;
    other_pcn_is_invisible(&app).await;
}
