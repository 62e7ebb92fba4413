//! The demo database: a synthetic PCN with episodes in every state over 18 months.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use domain::{Code, EpisodeState};
use std::collections::HashSet;
use storage::{CaseloadFilter, PersonQuery};

#[tokio::test]
async fn the_demo_has_every_state_valid_test_nhs_numbers_and_working_logins() {
    let (store, _dir) = storage_tests::sqlite().await;
    linkwork::demo::seed(&store, 150, false).await.unwrap();
    let pcn = store.list_pcns().await.unwrap()[0].id;
    assert_eq!(store.list_practices(pcn).await.unwrap().len(), 3);
    let users = store.list_users(Some(pcn)).await.unwrap();
    let workers: Vec<_> = users
        .iter()
        .filter(|u| u.role == domain::Role::LinkWorker)
        .collect();
    assert_eq!(workers.len(), 4);
    let mut states = HashSet::new();
    let all = CaseloadFilter {
        states: EpisodeState::ALL.to_vec(),
        ..Default::default()
    };
    let mut oldest = Utc::now();
    for w in &workers {
        for row in store.caseload(pcn, w.id, &all).await.unwrap() {
            states.insert(row.state);
            oldest = oldest.min(row.referred_at);
        }
    }
    for row in store.unassigned_queue(pcn).await.unwrap() {
        states.insert(row.state);
    }
    let missing: Vec<&str> = EpisodeState::ALL
        .iter()
        .filter(|s| !states.contains(s))
        .map(|s| s.code())
        .collect();
    assert!(
        missing.is_empty(),
        "states missing from the demo: {missing:?}"
    );
    assert!(
        Utc::now() - oldest > Duration::days(365),
        "spread over more than a year"
    );
    assert!(
        !store.unassigned_queue(pcn).await.unwrap().is_empty(),
        "something to triage"
    );
    let people = store
        .search_people(
            pcn,
            &PersonQuery {
                name: Some("a".into()),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(people.len() > 50);
    for p in people.iter().filter_map(|p| p.details.nhs_number.as_ref()) {
        assert!(
            p.as_str().starts_with("999"),
            "{p} is outside the 999 test range"
        );
        assert!(domain::NhsNumber::parse(p.as_str()).is_ok());
    }
    for (_, email, password, _) in linkwork::demo::LOGINS {
        let u = store.user_by_email(email).await.unwrap().unwrap();
        assert!(
            web::auth::verify_password(password, &u.password_hash),
            "{email}"
        );
    }
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        storage::AuditVerification::Intact { .. }
    ));
}
