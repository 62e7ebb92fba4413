//! Times are typed and shown in UK time (GMT in winter, BST in summer) and stored as
//! instants: a contact at 22:30 on a July evening is 21:30 UTC and reads 22:30.

use crate::helpers::*;
use chrono::{Datelike, TimeZone, Utc};
use reqwest::StatusCode;
use storage::{Actor, PersonRef};

async fn a_summer_evening_contact_reads_as_typed(app: &TestApp) {
    // Last year's July, so the contact is always in the past and after the referral.
    let year = Utc::now().year() - 1;
    let referred = Utc.with_ymd_and_hms(year, 7, 1, 10, 0, 0).unwrap();
    let mut person = storage_tests::suite::person("Summer", "Evening", "1950-06-01");
    person.practice_id = Some(app.practice_a);
    let (_, ep) = app
        .store
        .create_referral(
            app.pcn_a,
            PersonRef::New(Box::new(person)),
            &storage_tests::suite::referral(),
            None,
            referred,
            &Actor::system("test"),
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
            referred,
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let mut lw = signed_in(app, "lw").await;
    let date = format!("{year}-07-15");
    let r = lw
        .post(
            &format!("/episodes/{}/contacts", ep.id),
            &[
                ("version", &ep.version.to_string()),
                ("contact_type", "telephone"),
                ("date", &date),
                ("time", "22:30"),
                ("duration_minutes", "20"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let contacts = app
        .store
        .contacts_for_person(app.pcn_a, ep.person_id)
        .await
        .unwrap();
    assert_eq!(
        contacts[0].details.at,
        Utc.with_ymd_and_hms(year, 7, 15, 21, 30, 0).unwrap(),
        "22:30 BST is 21:30 UTC"
    );
    let page = lw.get(&format!("/people/{}", ep.person_id)).await;
    assert!(
        page.body.contains(&format!("15 Jul {year} 22:30")),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!("15 Jul {year} 21:30")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uk_time_on_sqlite() {
    let app = spawn_app().await;
    a_summer_evening_contact_reads_as_typed(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uk_time_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    let app = spawn_app_on(Engine::Postgres).await;
    a_summer_evening_contact_reads_as_typed(&app).await;
}
