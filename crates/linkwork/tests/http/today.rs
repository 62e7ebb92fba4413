//! The link worker's Today page: plan reviews whose date has passed are listed apart from
//! those due this week, overdue first.

use crate::helpers::*;
use chrono::{Duration, Utc};
use domain::{CarePlan, RecordKind};
use storage::{Actor, NewRecord};

async fn plan_review(app: &TestApp, lw: &mut Browser, name: (&str, &str), review_in_days: i64) {
    let person = refer(lw, name.0, name.1).await;
    let ep = first_episode(app, person).await;
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            app.users["lw"],
            Utc::now(),
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let today = domain::uk_time::today();
    let review_on = today + Duration::days(review_in_days);
    let plan = CarePlan {
        agreed_on: today - Duration::days(60),
        what_matters: "Company".into(),
        goals: vec!["Go to a group".into()],
        actions: vec![],
        support_offered: String::new(),
        review_on,
        phb: Default::default(),
    };
    app.store
        .add_record(
            app.pcn_a,
            ep.id,
            &NewRecord {
                kind: RecordKind::Plan,
                status: String::new(),
                body: serde_json::to_string(&plan).unwrap(),
                assigned_to: None,
                due_at: Some(domain::uk_time::start_of(review_on)),
                summary: "plan".into(),
                at: Utc::now(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_reviews_are_listed_apart_from_those_due() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    plan_review(&app, &mut lw, ("Rita", "Lateby"), -10).await;
    plan_review(&app, &mut lw, ("Sonia", "Soonest"), 3).await;
    let page = lw.get("/today").await.body;
    let overdue = page
        .find("Plan reviews overdue (1)")
        .expect("an overdue section");
    let due = page
        .find("Plan reviews due this week (1)")
        .expect("a due section");
    assert!(overdue < due, "overdue first");
    let late = overdue + page[overdue..].find("Rita Lateby").unwrap();
    let soon = overdue + page[overdue..].find("Sonia Soonest").unwrap();
    assert!(late < due && due < soon, "{page}");
}
