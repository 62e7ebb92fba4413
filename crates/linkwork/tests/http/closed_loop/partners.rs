//! A partner acting on another organisation's referral is refused and nothing changes.

use super::partner_service;
use crate::helpers::*;
use reqwest::StatusCode;
use storage::Actor;

/// A partner acting on another organisation's referral is refused and nothing changes.
pub async fn partners_only_see_their_own_referrals(app: &TestApp) {
    let service = partner_service(app).await;
    let mut lw = signed_in(app, "lw").await;
    let person = refer(&mut lw, "Ada", "Other").await;
    let ep = first_episode(app, person).await.id;
    lw.post(
        &format!("/episodes/{ep}/connections"),
        &[
            ("kind", "referral"),
            ("service", &service),
            ("consent", "yes"),
        ],
    )
    .await;
    let conn = app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone();
    // Move the referral to another organisation: the test partner must now be kept out.
    let other = app
        .store
        .create_partner_org("Another Trust")
        .await
        .unwrap()
        .id;
    let org = app
        .state
        .directory
        .entry(&service)
        .await
        .unwrap()
        .unwrap()
        .service
        .organization_id
        .unwrap();
    app.store
        .link_partner(&org, Some(other), &Actor::system("test"))
        .await
        .unwrap();
    let mut p = signed_in(app, "partner").await;
    // Still theirs (the referral keeps the organisation it was sent to).
    assert_eq!(
        p.get(&format!("/partner/referrals/{}", conn.id))
            .await
            .status,
        StatusCode::OK
    );
    // A referral addressed to another organisation.
    let (c2, _) = app
        .store
        .create_connection(
            app.pcn_a,
            ep,
            &storage::NewConnection {
                service_id: service.clone(),
                service_name: "Elsewhere".into(),
                organization_name: "Another Trust".into(),
                partner_org_id: Some(other),
                kind: domain::ConnectionKind::Referral,
                consent_at: Some(chrono::Utc::now()),
                shared: storage::SharedDetails {
                    name: "Ada Other".into(),
                    ..Default::default()
                },
                due_at: None,
                note: String::new(),
                at: chrono::Utc::now(),
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
    assert_eq!(
        p.get(&format!("/partner/referrals/{}", c2.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = p
        .post(
            &format!("/partner/referrals/{}", c2.id),
            &[("version", &c2.version.to_string()), ("to", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let after = app
        .store
        .get_connection(storage::ConnectionScope::Pcn(app.pcn_a), c2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.status,
        domain::ConnectionStatus::Requested,
        "nothing changed"
    );
    assert!(!p.get("/partner/referrals").await.body.contains("Elsewhere"));
}
