//! The same HTTP behaviour on PostgreSQL: tenancy and stale edits over the real server.

use crate::helpers::*;
use reqwest::StatusCode;

fn skip() -> bool {
    storage_tests::pg::skip_requested()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenancy_on_postgres() {
    if skip() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    crate::tenancy::other_pcn_is_invisible(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_to_caseload_and_stale_edit_on_postgres() {
    if skip() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    let mut lw = signed_in(&app, "lw").await;
    let id = refer(&mut lw, "Pearl", "Engine").await;
    let ep = first_episode(&app, id).await;
    let me = app.users["lw"].to_string();
    let v = ep.version.to_string();
    assert_eq!(
        lw.post(
            &format!("/episodes/{}/assign", ep.id),
            &[("version", &v), ("link_worker_id", &me)]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert!(lw.get("/caseload").await.body.contains("ENGINE, Pearl"));
    let mut edit = person_fields("Pearl", "Engine");
    edit.push(("version", "1"));
    assert_eq!(
        lw.post(&format!("/people/{id}"), &edit).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        lw.post(&format!("/people/{id}"), &edit).await.status,
        StatusCode::CONFLICT,
        "version 1 is stale now"
    );
    let ready = lw.get("/ready").await;
    assert!(ready.body.contains("\"database\":\"postgres\""));
}
