//! The records every route can name, made through the storage layer: one of each kind in
//! the caller's own PCN and in another, plus the directory, tokens and partner's records.

use super::CALLERS;
use crate::helpers::*;
use domain::{
    CareHomeTaskKind, ConnectionKind, EmployerKind, Employment, EpisodeState, RecordKind, Role,
    Safeguarding, SupervisionKind,
};
use std::collections::HashMap;
use storage::{
    Actor, NewApiClient, NewCareHomeTask, NewConnection, NewRecord, NewSupervision, NewUser,
    PersonRef, SharedDetails,
};

/// One PCN's records, one of each kind a route can name.
#[derive(Debug, Clone)]
pub(crate) struct Records {
    pub(crate) person: i64,
    pub(crate) episode: i64,
    pub(crate) connection: i64,
    pub(crate) safeguarding: i64,
    pub(crate) coding_entry: i64,
    pub(crate) coding_batch: i64,
    pub(crate) api_client: i64,
    pub(crate) link_worker: i64,
    pub(crate) employment: i64,
    pub(crate) supervision: i64,
    pub(crate) care_home_task: i64,
    pub(crate) user: i64,
}

/// Makes one of every record in `pcn`, through the storage layer.
pub(super) async fn records(
    app: &TestApp,
    pcn: i64,
    practice: i64,
    lw: i64,
    partner: i64,
) -> Records {
    let a = Actor::system("matrix");
    let store = &app.store;
    let mut staff = Vec::new();
    for (who, name, role) in [
        ("sup", "Matrix Supervisor", Role::Supervisor),
        ("spare", "Matrix Spare", Role::Referrer),
    ] {
        let made = store
            .create_user(
                NewUser {
                    email: format!("{who}-{pcn}@matrix.example"),
                    name: name.into(),
                    role,
                    pcn_id: Some(pcn),
                    partner_org_id: None,
                    password_hash: "x".into(),
                },
                &a,
            )
            .await
            .unwrap();
        staff.push(made.id);
    }
    let (supervisor, user) = (staff[0], staff[1]);
    // In PCN A the concern is raised to the test's own supervisor, the caller who may open it.
    let supervisor = if pcn == app.pcn_a {
        app.users["supervisor"]
    } else {
        supervisor
    };
    let mut person = storage_tests::suite::person("Matrix", &format!("Pcn{pcn}"), "1950-06-01");
    person.practice_id = Some(practice);
    let now = chrono::Utc::now();
    let (_, ep) = store
        .create_referral(
            pcn,
            PersonRef::New(Box::new(person)),
            &storage_tests::suite::referral(),
            // PCN A's referral was made by its referrer (who may read the message back).
            (pcn == app.pcn_a).then(|| app.users["referrer"]),
            now,
            &a,
        )
        .await
        .unwrap();
    let ep = store
        .assign_episode(pcn, ep.id, ep.version, lw, now, &a)
        .await
        .unwrap();
    let (_, ep) = store
        .record_contact(pcn, ep.id, ep.version, &phone_call(now, 20), &a)
        .await
        .unwrap();
    let ep = store
        .transition_episode(
            pcn,
            ep.id,
            ep.version,
            EpisodeState::Accepted,
            None,
            now,
            &a,
        )
        .await
        .unwrap();
    let concern = Safeguarding {
        concern: "Matrix test concern".into(),
        raised_to: supervisor,
        ..Default::default()
    };
    let (safeguarding, ep) = store
        .add_record(
            pcn,
            ep.id,
            &NewRecord {
                kind: RecordKind::Safeguarding,
                status: "open".into(),
                body: serde_json::to_string(&concern).unwrap(),
                assigned_to: Some(supervisor),
                due_at: None,
                summary: "Safeguarding concern".into(),
                at: now,
            },
            &a,
        )
        .await
        .unwrap();
    let today = now.date_naive();
    let plan = domain::CarePlan {
        agreed_on: today,
        what_matters: "Matrix".into(),
        goals: vec!["Go to a group".into()],
        actions: vec![],
        support_offered: String::new(),
        review_on: today + chrono::Duration::days(42),
        phb: Default::default(),
    };
    let (_, ep) = store
        .add_record(
            pcn,
            ep.id,
            &NewRecord {
                kind: RecordKind::Plan,
                status: String::new(),
                body: serde_json::to_string(&plan).unwrap(),
                assigned_to: None,
                due_at: None,
                summary: "Care and support plan".into(),
                at: now,
            },
            &a,
        )
        .await
        .unwrap();
    let (connection, _) = store
        .create_connection(
            pcn,
            ep.id,
            &NewConnection {
                service_id: "matrix-service".into(),
                service_name: "Matrix group".into(),
                organization_name: "Green Gym".into(),
                partner_org_id: Some(partner),
                kind: ConnectionKind::Referral,
                consent_at: Some(now),
                shared: SharedDetails::default(),
                due_at: None,
                note: String::new(),
                at: now,
            },
            &a,
        )
        .await
        .unwrap();
    let coding_entry = store.coding_entries(pcn, None, true).await.unwrap()[0].id;
    let coding_batch = store
        .pull_coding_batch(pcn, practice, &a)
        .await
        .unwrap()
        .expect("a batch of codes")
        .id;
    let api_client = store
        .create_api_client(
            &NewApiClient {
                client_id: format!("matrix-hub-{pcn}"),
                name: "Matrix hub".into(),
                kind: domain::ClientKind::Hub,
                pcn_id: Some(pcn),
                practice_id: None,
                partner_org_id: None,
                scopes: vec![domain::Scope::RecordRead],
                secret_hash: web::auth::sha256_hex("matrix"),
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    let employment = store
        .create_employment(
            pcn,
            lw,
            &Employment {
                employer_kind: EmployerKind::Pcn,
                employer_name: "Matrix PCN".into(),
                wte_milli: 1000,
                annual_salary_pence: 2_900_000,
                annual_oncosts_pence: 600_000,
                subcontract_monthly_pence: 0,
                afc_band: "5".into(),
                start_date: today,
                end_date: None,
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    let supervision = store
        .create_supervision(
            pcn,
            &NewSupervision {
                link_worker_id: lw,
                supervisor_id: supervisor,
                kind: SupervisionKind::Clinical,
                held_on: today,
                actions: "Matrix".into(),
                cases: vec![],
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    let care_home_task = store
        .create_care_home_task(
            pcn,
            &NewCareHomeTask {
                care_home: "Matrix Court".into(),
                kind: CareHomeTaskKind::Visit,
                requested_on: today,
                link_worker_id: Some(lw),
                details: String::new(),
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    Records {
        person: ep.person_id,
        episode: ep.id,
        connection: connection.id,
        safeguarding: safeguarding.id,
        coding_entry,
        coding_batch,
        api_client,
        link_worker: lw,
        employment,
        supervision,
        care_home_task,
        user,
    }
}

/// Everything the routes can name: own PCN (A), other PCN (B), and the directory.
pub(crate) struct World {
    pub(crate) own: Records,
    pub(crate) other: Records,
    /// Connections referred to the partner's organisation (Green Gym), and to another.
    pub(crate) partner_connection: (i64, i64),
    /// A listing owned by the partner's organisation, and one it does not own.
    pub(crate) service: (String, String),
    pub(crate) organization: (String, String),
    /// A taxonomy term of another publisher.
    pub(crate) foreign_term: String,
    /// ORUK ids (all public).
    pub(crate) oruk: HashMap<&'static str, String>,
    /// Each caller's own API tokens: (for `/api/v1`, for revoking from the settings page).
    pub(crate) tokens: HashMap<&'static str, (String, i64)>,
    /// Another user's token (lw2), which no caller may revoke.
    pub(crate) other_token: i64,
    /// The partner's organisation, and the two PCNs.
    pub(crate) partner_org: i64,
    pub(crate) pcn_a: i64,
    pub(crate) pcn_b: i64,
    /// A spare partner account and a partner's API client: what the operator manages.
    pub(crate) operator_own: (i64, i64),
}

pub(crate) async fn world(app: &TestApp) -> World {
    let a = Actor::system("matrix");
    let pcn_b = app.store.list_pcns().await.unwrap()[1].id;
    let practice_b = app.store.list_practices(pcn_b).await.unwrap()[0].id;
    let gym = app.store.list_partner_orgs().await.unwrap()[0].id;
    let walk = app.store.create_partner_org("Walk Club").await.unwrap().id;
    let own = records(app, app.pcn_a, app.practice_a, app.users["lw"], gym).await;
    let other = records(app, pcn_b, practice_b, app.users["lw_b"], gym).await;
    let (elsewhere, _) = app
        .store
        .create_connection(
            app.pcn_a,
            own.episode,
            &NewConnection {
                service_id: "walk-service".into(),
                service_name: "Walking group".into(),
                organization_name: "Walk Club".into(),
                partner_org_id: Some(walk),
                kind: ConnectionKind::Referral,
                consent_at: Some(chrono::Utc::now()),
                shared: SharedDetails::default(),
                due_at: None,
                note: String::new(),
                at: chrono::Utc::now(),
            },
            &a,
        )
        .await
        .unwrap();
    let fy = domain::FinancialYear::of(chrono::Utc::now().date_naive()).0;
    app.store
        .save_arrs_cap(
            &storage::ArrsCap {
                fy_start: fy,
                max_pence: 3_600_000,
                note: String::new(),
            },
            &a,
        )
        .await
        .unwrap();
    // The directory: the ORUK examples and a spreadsheet, and a listing of the partner's.
    crate::directory::load(app).await;
    let owned = crate::closed_loop::partner_service(app).await;
    let listed: serde_json::Value =
        reqwest::get(format!("{}/oruk/services?per_page=100", app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let not_owned = listed["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .find(|id| *id != owned)
        .expect("a listing no partner owns")
        .to_string();
    let orgs = app.store.dir_organizations().await.unwrap();
    let foreign_term = app
        .store
        .dir_terms()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.parent_id.as_deref() != Some(domain::CATEGORY_TAXONOMY_ID))
        .expect("an imported feed's taxonomy term")
        .id;
    let oruk_first = |path: &'static str| {
        let url = format!("{}/oruk/{path}", app.base);
        async move {
            let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            v["contents"][0]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no {path} to name: {v}"))
                .to_string()
        }
    };
    let mut oruk = HashMap::new();
    oruk.insert("services", not_owned.clone());
    oruk.insert(
        "service_at_locations",
        oruk_first("service_at_locations").await,
    );
    oruk.insert("taxonomies", oruk_first("taxonomies").await);
    oruk.insert("taxonomy_terms", oruk_first("taxonomy_terms").await);
    oruk.insert("organizations", oruk_first("organizations").await);
    let mut tokens = HashMap::new();
    for who in CALLERS.iter().flatten() {
        let raw = format!("lw_matrix_{who}");
        app.store
            .create_api_token(
                app.users[who],
                "matrix api",
                &web::auth::sha256_hex(&raw),
                &a,
            )
            .await
            .unwrap();
        let revocable = app
            .store
            .create_api_token(
                app.users[who],
                "matrix revoke",
                &web::auth::sha256_hex(&format!("{raw}-r")),
                &a,
            )
            .await
            .unwrap()
            .id;
        tokens.insert(*who, (raw, revocable));
    }
    let other_token = app
        .store
        .create_api_token(
            app.users["lw2"],
            "lw2's",
            &web::auth::sha256_hex("lw2-token"),
            &a,
        )
        .await
        .unwrap()
        .id;
    let spare_partner = app
        .store
        .create_user(
            NewUser {
                email: "spare-partner@matrix.example".into(),
                name: "Spare partner".into(),
                role: Role::Partner,
                pcn_id: None,
                partner_org_id: Some(gym),
                password_hash: "x".into(),
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    let partner_client = app
        .store
        .create_api_client(
            &NewApiClient {
                client_id: "matrix-partner-system".into(),
                name: "Matrix partner system".into(),
                kind: domain::ClientKind::Partner,
                pcn_id: None,
                practice_id: None,
                partner_org_id: Some(gym),
                scopes: vec![domain::Scope::TaskRead],
                secret_hash: web::auth::sha256_hex("matrix-partner"),
            },
            &a,
        )
        .await
        .unwrap()
        .id;
    World {
        operator_own: (spare_partner, partner_client),
        partner_connection: (own.connection, elsewhere.id),
        own,
        other,
        service: (owned, not_owned),
        organization: (orgs[0].id.clone(), orgs[orgs.len() - 1].id.clone()),
        foreign_term,
        oruk,
        tokens,
        other_token,
        partner_org: gym,
        pcn_a: app.pcn_a,
        pcn_b,
    }
}
