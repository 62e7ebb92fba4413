//! Another publisher's categories, mapped once by a manager: until then Linkwork reads the
//! category's name; after, every service carrying it is reclassified, found by search and
//! shown why. Only managers may map; a bad concept is refused and changes nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const TERM: &str = "00000000-0000-4000-8000-000000000701";
const SERVICE: &str = "00000000-0000-4000-8000-000000000702";

async fn import_feed(app: &TestApp) {
    let feed = json!([{
        "id": "00000000-0000-4000-8000-000000000700", "name": "Hope Network",
        "description": "A synthetic network.",
        "services": [{
            "id": SERVICE, "name": "Hope House", "status": "active",
            "description": "A place to go on Thursday evenings.",
            "attributes": [{
                "id": "00000000-0000-4000-8000-000000000703", "link_id": SERVICE,
                "link_type": "service", "taxonomy_term_id": TERM,
                "taxonomy_term": {"id": TERM, "name": "Category 7", "description": "",
                    "taxonomy": "Hope Categories",
                    "taxonomy_id": "00000000-0000-4000-8000-000000000704"}
            }]
        }]
    }]);
    let parsed = directory::parse_json(&serde_json::to_vec(&feed).unwrap()).unwrap();
    app.state
        .directory
        .import(
            &parsed,
            "hope",
            &directory::Listing::default(),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
}

pub async fn a_manager_maps_another_publishers_category(app: &TestApp) {
    import_feed(app).await;
    let mut lw = signed_in(app, "lw").await;
    let before = lw.get("/directory?q=alcohol").await;
    assert!(!before.body.contains("Hope House"), "{}", before.body);
    // Only managers map categories.
    assert_eq!(
        lw.get("/directory/taxonomy").await.status,
        StatusCode::FORBIDDEN
    );
    let mut manager = signed_in(app, "manager").await;
    let list = manager.get("/directory/taxonomy").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Hope Categories") && list.body.contains("Category 7"));
    assert!(list.body.contains("Read from its name"), "{}", list.body);
    // A concept Linkwork does not know is refused, named, and nothing is saved.
    let path = format!("/directory/taxonomy/{TERM}");
    let bad = manager.post(&path, &[("concept", "moonbeams")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("moonbeams"), "{}", bad.body);
    assert!(app.store.dir_term_concepts().await.unwrap().is_empty());
    // Mapped: search finds the service by what it is for, and says why.
    let ok = manager
        .post(
            &path,
            &[("concept", "drug_alcohol"), ("concept", "peer_support")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let after = lw.get("/directory?q=alcohol").await;
    assert!(after.body.contains("Hope House"), "{}", after.body);
    assert!(after.body.contains("mapped by a manager"), "{}", after.body);
    let list = manager.get("/directory/taxonomy").await;
    assert!(list.body.contains("Drug and alcohol support") && list.body.contains("Mapped"));
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit.iter().any(|e| e.action == "directory.term_mapping"));
    // Forgotten: its name is read again.
    manager.post(&path, &[("forget", "yes")]).await;
    assert!(!lw
        .get("/directory?q=alcohol")
        .await
        .body
        .contains("Hope House"));
    // Linkwork's own categories are not mapped here.
    let own = manager
        .get(&format!(
            "/directory/taxonomy/{}",
            domain::Category::Walking.term_id()
        ))
        .await;
    assert_eq!(own.status, StatusCode::NOT_FOUND);
}

/// What Linkwork reads from one listing is a suggestion until staff confirm it; staff can
/// remove a wrong one and add one the words miss. Only those who may edit the listing may.
pub async fn staff_review_what_a_listing_is_read_as(app: &TestApp) {
    import_feed(app).await;
    let page = format!("/directory/services/{SERVICE}");
    let path = format!("{page}/concepts");
    let mut lw = signed_in(app, "lw").await;
    let seen = lw.get(&page).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains("Add what it is"), "{}", seen.body);
    // A link worker, and a partner of another organisation, may not review.
    for who in ["lw", "partner"] {
        let mut b = signed_in(app, who).await;
        b.get(&page).await;
        let r = b
            .post(
                &path,
                &[("concept", "drug_alcohol"), ("verdict", "confirm")],
            )
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            r.status
        );
    }
    assert!(app.store.dir_service_concepts().await.unwrap().is_empty());
    let mut manager = signed_in(app, "manager").await;
    let form = manager.get(&page).await;
    assert!(form.body.contains("Add what it is"), "{}", form.body);
    // An unknown concept or verdict is refused and changes nothing.
    let bad = manager
        .post(&path, &[("concept", "moonbeams"), ("verdict", "confirm")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = manager
        .post(
            &path,
            &[("concept", "drug_alcohol"), ("verdict", "perhaps")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.store.dir_service_concepts().await.unwrap().is_empty());
    // Added: search finds it by what it is, and says staff confirmed it.
    let ok = manager
        .post(
            &path,
            &[("concept", "drug_alcohol"), ("verdict", "confirm")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let found = lw.get("/directory?q=alcohol").await;
    assert!(found.body.contains("Hope House"), "{}", found.body);
    assert!(found.body.contains("confirmed by staff"), "{}", found.body);
    let shown = manager.get(&page).await;
    assert!(shown.body.contains("Confirmed"), "{}", shown.body);
    // Removed: no longer found, and listed as removed with a way back.
    manager
        .post(&path, &[("concept", "drug_alcohol"), ("verdict", "reject")])
        .await;
    assert!(!lw
        .get("/directory?q=alcohol")
        .await
        .body
        .contains("Hope House"));
    let shown = manager.get(&page).await;
    assert!(shown.body.contains("Removed by staff"), "{}", shown.body);
    // Undone: read from its words again.
    manager
        .post(
            &path,
            &[("concept", "drug_alcohol"), ("verdict", "suggest")],
        )
        .await;
    assert!(app.store.dir_service_concepts().await.unwrap().is_empty());
    let audit = app.store.all_audit().await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "directory.service_concept")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_review_on_sqlite() {
    staff_review_what_a_listing_is_read_as(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_review_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    staff_review_what_a_listing_is_read_as(&spawn_app_on(Engine::Postgres).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_mapping_on_sqlite() {
    a_manager_maps_another_publishers_category(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_mapping_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_manager_maps_another_publishers_category(&spawn_app_on(Engine::Postgres).await).await;
}
