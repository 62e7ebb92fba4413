//! Partners' accounts and API clients are the operator's, and a PCN refers to a partner
//! only when both sides hold the relationship.

use super::audit_of;
use crate::helpers::*;
use crate::matrix::world;
use reqwest::StatusCode;

/// Finding 1: any PCN's administrator could mint a partner's account or API client and read
/// another PCN's referrals; partners' accounts and systems are now the operator's alone.
pub(super) async fn partner_accounts_and_clients_belong_to_the_operator(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let gym = w.partner_org.to_string();
    for admin in ["admin_b", "admin"] {
        let mut b = signed_in(&app, admin).await;
        let page = b.get("/admin/users").await;
        assert!(
            !page.body.contains("value=\"partner\"") && !page.body.contains("partner@test.example"),
            "{admin} is offered the partner role or sees a partner's account"
        );
        let email = format!("mole-{admin}@test.example");
        let p = b
            .post(
                "/admin/users",
                &[
                    ("name", "Mole"),
                    ("email", &email),
                    ("role", "partner"),
                    ("partner_org_id", &gym),
                    ("password", "a fine long password"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{admin}");
        assert!(p.body.contains("Choose a role from the list"));
        assert!(app.store.user_by_email(&email).await.unwrap().is_none());
        let before = app.store.api_clients().await.unwrap().len();
        let p = b
            .post(
                "/admin/api-clients",
                &[
                    ("name", "Mole system"),
                    ("kind", "partner"),
                    ("partner_org_id", &gym),
                    ("scopes", "task.read"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{admin}");
        assert_eq!(app.store.api_clients().await.unwrap().len(), before);
        // The operator's partner client is neither listed nor revocable by a PCN.
        let list = b.get("/admin/api-clients").await;
        assert!(!list.body.contains("matrix-partner-system"), "{admin}");
        let p = b
            .post(
                &format!("/admin/api-clients/{}/revoke", w.operator_own.1),
                &[],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{admin}");
    }
    assert!(app
        .store
        .api_clients()
        .await
        .unwrap()
        .iter()
        .all(|c| c.revoked_at.is_none()));
    // The operator makes a partner's account; it belongs to no PCN.
    let mut op = signed_in(&app, "operator").await;
    let users = op.get("/admin/users").await;
    assert!(users.body.contains("partner@test.example"));
    assert!(!users.body.contains("lw@test.example"), "a PCN's staff");
    let p = op
        .post(
            "/admin/users",
            &[
                ("name", "Gym Volunteer"),
                ("email", "volunteer@test.example"),
                ("role", "partner"),
                ("partner_org_id", &gym),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let made = app
        .store
        .user_by_email("volunteer@test.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (made.pcn_id, made.partner_org_id),
        (None, Some(w.partner_org))
    );
    // PCN A, whose referrals the partner sees, is told a way in was made; PCN B is not.
    let told = audit_of(&app, app.pcn_a, "partner.credential").await;
    assert!(
        told.iter()
            .any(|e| e.detail.contains("volunteer@test.example")),
        "{told:?}"
    );
    assert!(audit_of(&app, w.pcn_b, "partner.credential")
        .await
        .is_empty());
    let p = op
        .post(
            "/admin/users",
            &[
                ("name", "Sneaky"),
                ("email", "sneaky@test.example"),
                ("role", "link_worker"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the operator makes no PCN staff"
    );
    // The partner sees PCN A's referral (PCN A holds the relationship) and not PCN B's.
    let mut partner = Browser::new(&app);
    partner.sign_in("volunteer@test.example", PASSWORD).await;
    let list = partner.get("/partner/referrals").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list
        .body
        .contains(&format!("/partner/referrals/{}", w.own.connection)));
    assert!(!list
        .body
        .contains(&format!("/partner/referrals/{}\"", w.other.connection)));
    let p = partner
        .get(&format!("/partner/referrals/{}", w.other.connection))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "PCN B never agreed");
    // The reads are on PCN A's audit log, naming the person shown.
    let reads = audit_of(&app, app.pcn_a, "partner.referrals").await;
    assert!(
        reads
            .iter()
            .any(|r| r.actor_id == Some(made.id) && r.detail.contains(&w.own.person.to_string())),
        "PCN A's audit log names who the partner saw: {reads:?}"
    );
    partner
        .get(&format!("/partner/referrals/{}", w.own.connection))
        .await;
    let reads = audit_of(&app, app.pcn_a, "partner.referral.read").await;
    assert!(reads
        .iter()
        .any(|r| r.actor_id == Some(made.id) && r.entity_id == Some(w.own.person)));
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "partner accounts and clients: 2 PCN administrators refused a partner account, a partner client, listing and revoking the operator's; the partner sees only PCNs it holds a relationship with; its reads are on PCN A's audit log by person"
    ));
}

/// A relationship both sides hold: PCN B's manager asks, the partner accepts, and only then
/// do PCN B's referrals reach the partner; either side can end it.
pub(super) async fn a_pcn_refers_to_a_partner_only_when_both_agree(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let other = format!("/partner/referrals/{}", w.other.connection);
    let mut partner = signed_in(&app, "partner").await;
    assert_eq!(partner.get(&other).await.status, StatusCode::NOT_FOUND);
    // The partner cannot accept what PCN B never asked for.
    let p = partner
        .post(&format!("/partner/pcns/{}", w.pcn_b), &[("agree", "yes")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let mut manager_b = signed_in(&app, "manager_b").await;
    let page = manager_b.get("/partners").await;
    assert!(page.body.contains("Green Gym") && page.body.contains("Not linked"));
    let p = manager_b
        .post(&format!("/partners/{}", w.partner_org), &[("agree", "yes")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        partner.get(&other).await.status,
        StatusCode::NOT_FOUND,
        "asked, not accepted"
    );
    let home = partner.get("/partner").await;
    assert!(home.body.contains("South PCN") && home.body.contains("asks you to accept"));
    let p = partner
        .post(&format!("/partner/pcns/{}", w.pcn_b), &[("agree", "yes")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(partner.get(&other).await.status, StatusCode::OK);
    // While it is live, PCN B's link worker cannot answer for the organisation.
    let version = |app: &TestApp| {
        let store = app.store.clone();
        let id = w.other.connection;
        let pcn = w.pcn_b;
        async move {
            store
                .get_connection(storage::ConnectionScope::Pcn(pcn), id)
                .await
                .unwrap()
                .unwrap()
                .version
                .to_string()
        }
    };
    let mut lw_b = signed_in(&app, "lw_b").await;
    let status = format!("/connections/{}/status", w.other.connection);
    let v = version(&app).await;
    let p = lw_b
        .post(&status, &[("version", &v), ("to", "accepted")])
        .await;
    assert_eq!(
        p.status,
        StatusCode::CONFLICT,
        "the partner answers: {}",
        p.body
    );
    // The PCN ends it: the partner no longer sees its referrals, and the link worker records
    // the organisation's answer instead, so no referral is left stuck.
    manager_b
        .post(&format!("/partners/{}", w.partner_org), &[("agree", "no")])
        .await;
    assert_eq!(partner.get(&other).await.status, StatusCode::NOT_FOUND);
    let v = version(&app).await;
    let p = lw_b
        .post(&status, &[("version", &v), ("to", "accepted")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let changes = audit_of(&app, w.pcn_b, "partner_link.").await;
    assert_eq!(changes.len(), 3, "{changes:?}");
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "relationships: a partner sees a PCN's referral only once both sides agree, and not after one ends it; 3 changes audited"
    ));
}
