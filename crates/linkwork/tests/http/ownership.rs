//! What sits between PCNs (partner organisations, their accounts and clients, directory
//! links, the code catalogue and ARRS amounts) and the bindings inside a PCN, walked as two
//! PCNs' administrators and managers (issue 19). Each test names the finding it proves fixed.

use crate::helpers::*;
use crate::matrix::world;
use reqwest::StatusCode;
use storage::AuditFilter;

async fn audit_of(app: &TestApp, pcn: i64, action: &str) -> Vec<storage::AuditRecord> {
    app.store
        .list_audit(&AuditFilter {
            pcn_id: Some(pcn),
            action_prefix: Some(action.into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// Finding 1: any PCN's administrator could mint a partner's account or API client and read
/// another PCN's referrals; partners' accounts and systems are now the operator's alone.
async fn partner_accounts_and_clients_belong_to_the_operator(engine: Engine) {
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

#[tokio::test]
async fn partner_accounts_and_clients_belong_to_the_operator_sqlite() {
    partner_accounts_and_clients_belong_to_the_operator(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_accounts_and_clients_belong_to_the_operator_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    partner_accounts_and_clients_belong_to_the_operator(Engine::Postgres).await;
}

/// A relationship both sides hold: PCN B's manager asks, the partner accepts, and only then
/// do PCN B's referrals reach the partner; either side can end it.
async fn a_pcn_refers_to_a_partner_only_when_both_agree(engine: Engine) {
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

#[tokio::test]
async fn a_pcn_refers_to_a_partner_only_when_both_agree_sqlite() {
    a_pcn_refers_to_a_partner_only_when_both_agree(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pcn_refers_to_a_partner_only_when_both_agree_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_pcn_refers_to_a_partner_only_when_both_agree(Engine::Postgres).await;
}

/// Findings 2 and 4: linking directory organisations to partners, the national code
/// catalogue and the ARRS maximums are the operator's; no PCN's manager or administrator
/// changes them for everyone.
async fn deployment_settings_are_the_operators(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let org = w.organization.1.clone();
    let walk = app
        .store
        .list_partner_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Walk Club")
        .unwrap()
        .id
        .to_string();
    let linked = |app: &TestApp, org: String| {
        let store = app.store.clone();
        async move {
            store
                .dir_organizations()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.id == org)
                .unwrap()
                .partner_org_id
        }
    };
    let catalogue = app.store.coding_catalogue().await.unwrap();
    let caps = app.store.arrs_caps().await.unwrap();
    let concept = catalogue[0].concept_id.clone();
    for who in ["manager", "manager_b", "admin", "admin_b"] {
        let mut b = signed_in(&app, who).await;
        let p = b
            .post(
                &format!("/directory/organizations/{org}/partner"),
                &[("partner_org_id", &walk)],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who} linked a partner");
        let p = b
            .post(
                "/admin/coding",
                &[
                    ("concept_id", &concept),
                    ("term", "Renamed by a PCN"),
                    ("queued_on", ""),
                ],
            )
            .await;
        assert_eq!(
            p.status,
            StatusCode::FORBIDDEN,
            "{who} changed the catalogue"
        );
        let p = b
            .post(
                "/admin/coding",
                &[
                    ("concept_id", "1234567001"),
                    ("term", "Planted code"),
                    ("queued_on", "accepted"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{who} planted a code");
        let p = b
            .post("/admin/arrs", &[("year", "2030/31"), ("amount", "1")])
            .await;
        assert_eq!(
            p.status,
            StatusCode::FORBIDDEN,
            "{who} changed the ARRS maximum"
        );
    }
    assert_eq!(linked(&app, org.clone()).await, None);
    assert_eq!(app.store.coding_catalogue().await.unwrap(), catalogue);
    assert_eq!(app.store.arrs_caps().await.unwrap(), caps);
    // The managers still see which partner keeps each organisation, read-only.
    let page = signed_in(&app, "manager_b")
        .await
        .get("/directory/organizations")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/partner\" class=\"inline-form\""));
    assert!(page.body.contains("Only the deployment operator"));
    // The operator can.
    let mut op = signed_in(&app, "operator").await;
    let p = op
        .post(
            &format!("/directory/organizations/{org}/partner"),
            &[("partner_org_id", &walk)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(linked(&app, org).await.map(|x| x.to_string()), Some(walk));
    let p = op
        .post("/admin/arrs", &[("year", "2030/31"), ("amount", "41000")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "deployment settings: 4 PCN managers and administrators refused directory partner links, catalogue edits, planted codes and ARRS maximums; nothing changed"
    ));
}

#[tokio::test]
async fn deployment_settings_are_the_operators_sqlite() {
    deployment_settings_are_the_operators(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_settings_are_the_operators_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    deployment_settings_are_the_operators(Engine::Postgres).await;
}

/// Finding 5: a safeguarding concern is open to the supervisor it was raised to; another
/// supervisor of the same PCN gets what a missing concern gets, and changes nothing.
async fn a_concern_is_open_only_to_its_supervisor(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    // A concern raised to the matrix's other supervisor of PCN A ("sup-…"), not to ours.
    let sup = app
        .store
        .user_by_email(&format!("sup-{}@matrix.example", app.pcn_a))
        .await
        .unwrap()
        .unwrap()
        .id;
    let concern = domain::Safeguarding {
        concern: "Raised to the other supervisor".into(),
        raised_to: sup,
        action: String::new(),
        closed_on: None,
    };
    let (record, _) = app
        .store
        .add_record(
            app.pcn_a,
            w.own.episode,
            &storage::NewRecord {
                kind: domain::RecordKind::Safeguarding,
                status: "open".into(),
                body: serde_json::to_string(&concern).unwrap(),
                assigned_to: Some(sup),
                due_at: None,
                summary: "Safeguarding concern".into(),
                at: chrono::Utc::now(),
            },
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let id = record.id;
    // Link workers see concerns they raised or about their own people: lw2 sees neither.
    let list = signed_in(&app, "lw2").await.get("/safeguarding").await;
    assert!(
        !list.body.contains("Raised to the other supervisor"),
        "{}",
        list.body
    );
    let list = signed_in(&app, "lw").await.get("/safeguarding").await;
    assert!(
        list.body.contains("Raised to the other supervisor"),
        "lw's own person"
    );
    let mut other_sup = signed_in(&app, "supervisor").await;
    let path = format!("/safeguarding/{id}");
    assert_eq!(other_sup.get(&path).await.status, StatusCode::NOT_FOUND);
    let p = other_sup
        .post(
            &path,
            &[("version", "1"), ("action", "Closed by the wrong GP")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let r = app.store.get_record(app.pcn_a, id).await.unwrap().unwrap();
    assert_eq!(r.status, "open");
    // The supervisor it was raised to opens and closes it.
    app.store
        .set_password(
            r.assigned_to.unwrap(),
            &web::auth::hash_password(PASSWORD).unwrap(),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let mut own_sup = Browser::new(&app);
    own_sup
        .sign_in(&format!("sup-{}@matrix.example", app.pcn_a), PASSWORD)
        .await;
    let page = own_sup.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let p = own_sup
        .post(
            &path,
            &[
                ("version", &r.version.to_string()),
                ("action", "Spoke to the practice safeguarding lead"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "safeguarding: another supervisor refused reading and closing a concern; the assigned one closes it"
    ));
}

#[tokio::test]
async fn a_concern_is_open_only_to_its_supervisor_sqlite() {
    a_concern_is_open_only_to_its_supervisor(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concern_is_open_only_to_its_supervisor_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_concern_is_open_only_to_its_supervisor(Engine::Postgres).await;
}

/// Finding 7: a personal token needs the password again, expires, and dies with a disabled
/// account for good.
async fn personal_tokens_are_no_back_door(engine: Engine) {
    let config = web::WebConfig {
        api_token_lifetime: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let app = spawn_app_with(engine, config).await;
    let mut lw = signed_in(&app, "lw").await;
    for (password, message) in [
        ("", "Enter your password"),
        ("wrong password!", "not right"),
    ] {
        let p = lw
            .post(
                "/settings/tokens",
                &[("token_name", "script"), ("token_password", password)],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains(message), "{message}");
    }
    assert!(app
        .store
        .list_api_tokens(app.users["lw"])
        .await
        .unwrap()
        .is_empty());
    // A borrowed session cannot guess the password here: failures count with sign-in's.
    let mut borrowed = signed_in(&app, "lw2").await;
    for _ in 0..5 {
        borrowed
            .post(
                "/settings/tokens",
                &[
                    ("token_name", "script"),
                    ("token_password", "still guessing"),
                ],
            )
            .await;
    }
    let p = borrowed
        .post(
            "/settings/tokens",
            &[("token_name", "script"), ("token_password", PASSWORD)],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "paused after five"
    );
    let refused = audit_of(&app, app.pcn_a, "password.again_refused").await;
    assert_eq!(
        refused.len(),
        7,
        "one by lw above (an empty password is no try), six by lw2"
    );
    let token = api_token(&app, "lw").await;
    let (http, bearer) = api(&token);
    let call = || {
        http.get(format!("{}/api/v1/episodes/unassigned", app.base))
            .header("authorization", &bearer)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    // Disabled and enabled again: the token stays dead.
    let mut admin = signed_in(&app, "admin").await;
    let id = app.users["lw"];
    admin.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    admin.post(&format!("/admin/users/{id}/enable"), &[]).await;
    assert_eq!(call().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A token past its lifetime stops working.
    let raw = "lw_an_old_token_made_two_hours_ago";
    let made = app
        .store
        .create_api_token(
            app.users["lw2"],
            "old",
            &web::auth::sha256_hex(raw),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    assert_eq!(
        http.get(format!("{}/api/v1/episodes/unassigned", app.base))
            .bearer_auth(raw)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "a new token works"
    );
    let lifetime = std::time::Duration::from_secs(3600);
    assert!(made.created_at > chrono::Utc::now() - chrono::Duration::from_std(lifetime).unwrap());
    // The same server with a lifetime shorter than the token's age refuses it.
    let short = web::WebConfig {
        api_token_lifetime: std::time::Duration::from_secs(0),
        ..Default::default()
    };
    let strict = web::AppState::new(app.store.clone(), app.state.directory.clone(), short);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, strict, std::future::pending()));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        http.get(format!("{base}/api/v1/episodes/unassigned"))
            .bearer_auth(raw)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED,
        "an expired token"
    );
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "personal tokens: creation refused without the password twice; dead after disable and re-enable; expired past their lifetime"
    ));
}

#[tokio::test]
async fn personal_tokens_are_no_back_door_sqlite() {
    personal_tokens_are_no_back_door(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_tokens_are_no_back_door_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    personal_tokens_are_no_back_door(Engine::Postgres).await;
}

/// Finding 9: a referral that joins an existing record tells the referrer neither that
/// record's id nor the names they did not type.
async fn a_referrer_learns_nothing_of_an_existing_record(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let a = storage::Actor::system("test");
    let mut known = storage_tests::suite::person("Secretname", "Known", "1950-03-01");
    known.nhs_number = Some(domain::NhsNumber::parse("9434765919").unwrap());
    let existing = app
        .store
        .create_person(app.pcn_a, &known, &a)
        .await
        .unwrap();
    let token = api_token(&app, "referrer").await;
    let (http, bearer) = api(&token);
    let body = serde_json::json!({
        "person": {"given_name": "Typed", "family_name": "Known", "date_of_birth": "1950-03-01", "nhs_number": "9434765919"},
        "source": "community_pharmacy", "referrer_name": "A Pharmacist", "referrer_contact": "0113 496 0456",
        "needs": ["loneliness"], "urgency": "routine", "consent": true
    });
    let r = http
        .post(format!("{}/api/v1/referrals", app.base))
        .header("authorization", &bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = r.text().await.unwrap();
    assert!(!text.contains("Secretname"), "{text}");
    assert!(
        !text.contains(&format!("\"person_id\":{}", existing.id)),
        "{text}"
    );
    // It did join the existing record.
    let episodes = app
        .store
        .episodes_for_person(app.pcn_a, existing.id)
        .await
        .unwrap();
    assert_eq!(episodes.len(), 1, "joined the existing record");
    let mut referrer = signed_in(&app, "referrer").await;
    let mine = referrer.get("/referrals/mine").await;
    assert!(
        mine.body.contains("Known, born 1 Mar 1950"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains("Secretname"));
    let api_mine = http
        .get(format!("{}/api/v1/referrals/mine", app.base))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !api_mine.contains("Secretname") && !api_mine.contains("person_id"),
        "{api_mine}"
    );
    // The audit log names who the referrer was shown, for the PCN.
    let shown = audit_of(&app, app.pcn_a, "referral.list").await;
    assert!(shown
        .iter()
        .any(|e| e.detail.contains(&format!("shown: people {}", existing.id))));
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "referrers: no id or stored name of a joined record in the API answer, my referrals page or API list"
    ));
}

#[tokio::test]
async fn a_referrer_learns_nothing_of_an_existing_record_sqlite() {
    a_referrer_learns_nothing_of_an_existing_record(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referrer_learns_nothing_of_an_existing_record_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_referrer_learns_nothing_of_an_existing_record(Engine::Postgres).await;
}

/// Finding 3: a GP system's client is bound to its practice: people registered at another
/// practice of the same PCN answer as missing, by id and in every search; a hub still reaches
/// the whole PCN.
async fn a_gp_system_reaches_only_its_practices_people(engine: Engine) {
    use crate::fhir::{client, Fhir};
    use domain::{ClientKind, Scope::*};
    let app = spawn_app_on(engine).await;
    let w = world(&app).await; // its person is registered at Hill Surgery (practice A)
    let dale = app
        .store
        .create_practice(app.pcn_a, "Dale Surgery", "Y00003")
        .await
        .unwrap()
        .id;
    let gp = client(
        &app,
        "dale-gp",
        ClientKind::GpSystem,
        Some(app.pcn_a),
        Some(dale),
        None,
        &[RecordRead, TaskRead],
    )
    .await;
    let hub = client(
        &app,
        "a-hub",
        ClientKind::Hub,
        Some(app.pcn_a),
        None,
        None,
        &[RecordRead, TaskRead],
    )
    .await;
    let mut f = Fhir::new(&app);
    let (_, t) = f.token("dale-gp", &gp, None).await;
    let gp_token = t["access_token"].as_str().unwrap().to_string();
    let (_, t) = f.token("a-hub", &hub, None).await;
    let hub_token = t["access_token"].as_str().unwrap().to_string();
    let person = w.own.person;
    let referral = app
        .store
        .referrals_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .id;
    let paths = [
        format!("Patient/{person}"),
        format!("ServiceRequest/referral-{referral}"),
        format!("ServiceRequest/connection-{}", w.own.connection),
        format!("Task/connection-{}", w.own.connection),
        format!("ServiceRequest?patient=Patient/{person}"),
        format!("Encounter?patient=Patient/{person}"),
        format!("Observation?patient=Patient/{person}"),
        format!("CarePlan?patient=Patient/{person}"),
        format!("Task?patient=Patient/{person}"),
    ];
    for path in &paths {
        let (status, body) = f.get(&hub_token, path).await;
        assert_eq!(status, StatusCode::OK, "the hub reads {path}: {body}");
        let (status, body) = f.get(&gp_token, path).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "Dale's GP system read {path}: {body}"
        );
    }
    let (status, body) = f.get(&gp_token, "Task").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body
            .to_string()
            .contains(&format!("connection-{}", w.own.connection)),
        "{body}"
    );
    let (_, body) = f.get(&hub_token, "Task").await;
    assert!(body
        .to_string()
        .contains(&format!("connection-{}", w.own.connection)));
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "practice binding: 9 FHIR reads and searches of another practice's person answered 404 for a GP system and 200 for the PCN's hub"
    ));
}

#[tokio::test]
async fn a_gp_system_reaches_only_its_practices_people_sqlite() {
    a_gp_system_reaches_only_its_practices_people(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gp_system_reaches_only_its_practices_people_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_gp_system_reaches_only_its_practices_people(Engine::Postgres).await;
}

/// Finding 11: absolute URLs come from the configured public address, never the `Host`
/// header; an https public address gives `Secure` `__Host-` cookies and HSTS by itself.
async fn absolute_urls_and_cookies_follow_the_configured_public_address(engine: Engine) {
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            public_url: "https://linkwork.example.nhs.uk".into(),
            ..Default::default()
        },
    )
    .await;
    let r = reqwest::Client::new()
        .get(format!("{}/fhir/metadata", app.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(!body.contains("evil.example"), "{body}");
    assert!(
        body.contains("https://linkwork.example.nhs.uk/oauth/token"),
        "{body}"
    );
    let mut b = Browser::new(&app);
    let form = b.get("/login").await;
    let cookie = form.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-lw_login_csrf=") && cookie.contains("; Secure"));
    assert!(form.headers.contains_key("strict-transport-security"));
    let page = b.sign_in("lw@test.example", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let session = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-lw_session="))
        .expect("a __Host- session cookie");
    assert!(
        session.contains("; Secure") && session.contains("Path=/") && !session.contains("Domain")
    );
    assert_eq!(
        b.get("/today").await.status,
        StatusCode::OK,
        "the session works"
    );
}

#[tokio::test]
async fn absolute_urls_and_cookies_follow_the_configured_public_address_sqlite() {
    absolute_urls_and_cookies_follow_the_configured_public_address(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_urls_and_cookies_follow_the_configured_public_address_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    absolute_urls_and_cookies_follow_the_configured_public_address(Engine::Postgres).await;
}

/// Need-to-know: a link worker opening a person who is not theirs says why first; the reason
/// is audited under the PCN and opens the record; their own people, triage and managers are
/// not asked. The API refuses without a reason.
async fn a_link_worker_says_why_before_opening_someone_elses_person(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await; // its person is lw's
    let person = format!("/people/{}", w.own.person);
    let mut lw = signed_in(&app, "lw").await;
    assert_eq!(lw.get(&person).await.status, StatusCode::OK, "their own");
    let mut manager = signed_in(&app, "manager").await;
    assert_eq!(
        manager.get(&person).await.status,
        StatusCode::OK,
        "oversight"
    );
    let mut lw2 = signed_in(&app, "lw2").await;
    let page = lw2.get(&person).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let to = page.location.unwrap();
    assert!(
        to.starts_with(&format!("/people/{}/access?next=", w.own.person)),
        "{to}"
    );
    let ask = lw2.get(&to).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Say why you need this record"));
    assert!(
        !ask.body.contains("Matrix"),
        "nothing of the person before the reason"
    );
    // Every way in is closed: an episode's pages and forms, the plan, the API.
    for path in [
        format!("/people/{}/edit", w.own.person),
        format!("/episodes/{}/contacts/new", w.own.episode),
        format!("/episodes/{}/message-back", w.own.episode),
    ] {
        let p = lw2.get(&path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert!(p.location.unwrap().contains("/access?next="), "{path}");
    }
    let token = api_token(&app, "lw2").await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/people/{}", app.base, w.own.person))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Referring someone who is not theirs is a use of the record too.
    let p = lw2
        .post(
            "/referrals",
            &[
                ("person_id", &w.own.person.to_string()),
                ("source", "gp"),
                ("referrer_name", "Dr Test"),
                ("referrer_contact", "0113 496 0000"),
                ("needs", "loneliness"),
                ("urgency", "routine"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap_or_default().contains("/access?next="));
    let asked = audit_of(&app, app.pcn_a, "access.reason_asked").await;
    assert!(asked.iter().all(|e| e.actor_id == Some(app.users["lw2"])) && asked.len() >= 4);
    // A reason is required, and "another reason" needs words.
    let action = format!("/people/{}/access", w.own.person);
    let p = lw2
        .post(&action, &[("reason", "other"), ("next", &person)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Describe why"));
    let p = lw2
        .post(
            &action,
            &[
                ("reason", "covering"),
                ("detail", "Sam is on leave this week"),
                ("next", &person),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some(person.as_str()));
    assert_eq!(lw2.get(&person).await.status, StatusCode::OK, "open now");
    let said = audit_of(&app, app.pcn_a, "person.access_reason").await;
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].entity_id, Some(w.own.person));
    assert_eq!(said[0].actor_id, Some(app.users["lw2"]));
    assert!(
        said[0].detail.contains("Covering for a colleague")
            && said[0].detail.contains("Sam is on leave")
    );
    // The manager sees it on the audit page.
    let audit = manager.get("/audit").await;
    assert!(
        audit.body.contains("Sam is on leave"),
        "the audit view shows the reason"
    );
    // Another PCN's person is not found, reason or not.
    let p = lw2
        .post(
            &format!("/people/{}/access", w.other.person),
            &[("reason", "duty")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    storage_tests::figure(&format!(
        "Ownership and bindings ({engine:?}): {}",
        "need-to-know: person page, edit, contact and message-back forms and the API asked for a reason; the reason audited and shown to the manager"
    ));
}

#[tokio::test]
async fn a_link_worker_says_why_before_opening_someone_elses_person_sqlite() {
    a_link_worker_says_why_before_opening_someone_elses_person(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_worker_says_why_before_opening_someone_elses_person_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_link_worker_says_why_before_opening_someone_elses_person(Engine::Postgres).await;
}
