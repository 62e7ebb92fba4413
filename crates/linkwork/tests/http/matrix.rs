//! The authorisation matrix: every route of the route table (`web::routes::table()`) ×
//! every caller (anonymous, each role by session, each role by API token) × the record's
//! tenant (the caller's own PCN or partner organisation, and another), checked against
//! the route's declared rule on the real server. FHIR routes take their scopes from the
//! same table in `fhir.rs`. A route added without fixtures for its `{id}` fails here.

use crate::helpers::*;
use domain::{
    CareHomeTaskKind, ConnectionKind, ContactDetails, ContactType, EmployerKind, Employment,
    EpisodeState, RecordKind, Role, Safeguarding, SupervisionKind,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use storage::{
    Actor, NewApiClient, NewCareHomeTask, NewConnection, NewRecord, NewSupervision, NewUser,
    PersonRef, SharedDetails,
};
use web::routes::{Access, Method, Route, Target, Who};

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
async fn records(app: &TestApp, pcn: i64, practice: i64, lw: i64, partner: i64) -> Records {
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
            None,
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
        .record_contact(
            pcn,
            ep.id,
            ep.version,
            &ContactDetails {
                contact_type: ContactType::Telephone,
                at: now,
                duration_minutes: Some(20),
                did_not_attend: false,
                present: vec![],
                notes: String::new(),
            },
            &a,
        )
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
        action: String::new(),
        closed_on: None,
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
        oruk,
        tokens,
        other_token,
        partner_org: gym,
        pcn_a: app.pcn_a,
        pcn_b,
    }
}

/// Callers by session and by token: anonymous, then every role of PCN A.
pub(crate) const CALLERS: [Option<&str>; 8] = [
    None,
    Some("operator"),
    Some("admin"),
    Some("manager"),
    Some("lw"),
    Some("supervisor"),
    Some("referrer"),
    Some("partner"),
];

fn role_of(who: &str) -> Role {
    match who {
        "admin" => Role::Admin,
        "manager" => Role::Manager,
        "lw" => Role::LinkWorker,
        "supervisor" => Role::Supervisor,
        "referrer" => Role::Referrer,
        "partner" => Role::Partner,
        "operator" => Role::Operator,
        other => panic!("no role for {other}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tenancy {
    Own,
    Other,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Allowed,
    SignIn,
    Forbidden,
    NotFound,
}

/// What the rule says `who` gets for `route` on a record of `tenancy`.
pub(crate) fn expected(
    route: &Route,
    who: Option<&str>,
    by_token: bool,
    tenancy: Tenancy,
) -> Expect {
    let who_rule = match (route.rule.access, by_token) {
        (Access::Public, _) => return Expect::Allowed,
        (Access::Session(w), false) | (Access::Token(w), true) => w,
        (Access::Client(_), _) => unreachable!("FHIR routes are checked in fhir.rs"),
        // A cookie on the API, or a token on a page: not signed in there.
        _ => return Expect::SignIn,
    };
    let Some(who) = who else {
        return Expect::SignIn;
    };
    let role = role_of(who);
    let allowed = who_rule.role_passes(role)
        || match who_rule {
            Who::RoleOrSelf(_) => who == "lw" && tenancy == Tenancy::Own,
            Who::RoleOrOwner(_) => role == Role::Partner && tenancy == Tenancy::Own,
            _ => false,
        };
    if !allowed {
        return Expect::Forbidden;
    }
    match (route.rule.target, tenancy) {
        (Target::Pcn(_) | Target::Partner(_) | Target::Own(_), Tenancy::Other) => Expect::NotFound,
        _ => Expect::Allowed,
    }
}

/// The route's path with its placeholders filled for `tenancy`.
pub(crate) fn concrete(route: &Route, w: &World, who: Option<&str>, tenancy: Tenancy) -> String {
    concrete_with(route, w, who, tenancy, None)
}

/// The same, with `id` in place of the record's when given (a record that does not exist).
fn concrete_with(
    route: &Route,
    w: &World,
    who: Option<&str>,
    tenancy: Tenancy,
    id: Option<&str>,
) -> String {
    let r = match tenancy {
        Tenancy::Own => &w.own,
        Tenancy::Other => &w.other,
    };
    let pick = |own: &str, other: &str| match tenancy {
        Tenancy::Own => own.to_string(),
        Tenancy::Other => other.to_string(),
    };
    let p = route.path.as_str();
    let id_of_record = match route.rule.target {
        Target::None => String::new(),
        // The operator's own accounts and clients are partners', not a PCN's.
        Target::Pcn("user") if who == Some("operator") && tenancy == Tenancy::Own => {
            w.operator_own.0.to_string()
        }
        Target::Pcn("api_client") if who == Some("operator") && tenancy == Tenancy::Own => {
            w.operator_own.1.to_string()
        }
        Target::Pcn(kind) => match kind {
            "person" => r.person,
            "episode" => r.episode,
            "connection" => r.connection,
            "safeguarding" => r.safeguarding,
            "coding_entry" => r.coding_entry,
            "coding_batch" => r.coding_batch,
            "api_client" => r.api_client,
            "link_worker" => r.link_worker,
            "employment" => r.employment,
            "supervision" => r.supervision,
            "care_home_task" => r.care_home_task,
            "user" => r.user,
            other => panic!("{p}: no fixture for a PCN's {other}: add one to matrix.rs"),
        }
        .to_string(),
        Target::Partner("connection") => pick(
            &w.partner_connection.0.to_string(),
            &w.partner_connection.1.to_string(),
        ),
        Target::Own("api_token") => match (tenancy, who) {
            (Tenancy::Own, Some(who)) => w.tokens[who].1.to_string(),
            _ => w.other_token.to_string(),
        },
        Target::Shared("service") => pick(&w.service.0, &w.service.1),
        Target::Shared("organization") => pick(&w.organization.0, &w.organization.1),
        // Any partner organisation may be asked; both tenancies name one that exists.
        Target::Shared("partner_org") => w.partner_org.to_string(),
        // The partner's side of a relationship: PCN A has asked (own), PCN B never has.
        Target::Partner("pcn_link") => pick(&w.pcn_a.to_string(), &w.pcn_b.to_string()),
        Target::Shared("directory") if p.starts_with("/oruk/") => {
            let kind = p.trim_start_matches("/oruk/").split('/').next().unwrap();
            w.oruk
                .get(kind)
                .unwrap_or_else(|| panic!("{p}: no ORUK fixture for {kind}"))
                .clone()
        }
        other => panic!("{p}: no fixture for {other:?}: add one to matrix.rs"),
    };
    let id = id.map_or(id_of_record, str::to_string);
    let mut path = p
        .replace("{id}", &id)
        .replace("{user_id}", &id)
        .replace("{kind}", "referrals");
    path = match path.as_str() {
        "/reports/referrals/{file}" => "/reports/referrals/waiting.csv".into(),
        "/workforce/arrs/{file}" => "/workforce/arrs/arrs-year.csv".into(),
        _ => path,
    };
    assert!(
        !path.contains('{'),
        "{p}: a placeholder the matrix cannot fill"
    );
    match p {
        "/episodes/{id}/refer" => path.push_str(&format!("?service={}", w.service.0)),
        "/episodes/{id}/measures/new" => path.push_str("?instrument=swemwbs"),
        "/api/v1/people" | "/people" => path.push_str("?name=Matrix"),
        _ => {}
    }
    path
}

/// Sends one request as the caller: by token on `/api/v1`, otherwise through the
/// caller's browser session (with the session's CSRF token on forms).
async fn call(
    http: &reqwest::Client,
    base: &str,
    route: &Route,
    path: &str,
    b: &mut Browser,
    token: Option<&str>,
    csrf: &str,
) -> (StatusCode, String, String) {
    if route.path.starts_with("/api/v1/") {
        let url = format!("{base}{path}");
        let mut req = match route.method {
            Method::Get => http.get(&url),
            Method::Post => http.post(&url),
            Method::Put => http.put(&url),
            Method::Patch => http.patch(&url),
        };
        if route.method != Method::Get {
            req = req.header("content-type", "application/json").body("{}");
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        return (res.status(), String::new(), res.text().await.unwrap());
    }
    // Pages such as the sign-in form carry other tokens; forms use the session's.
    b.csrf = csrf.to_string();
    let page = match (route.method, route.path.as_str()) {
        (Method::Get, _) => b.get(path).await,
        (Method::Post, "/directory/import") => b.upload(path, "empty.csv", b"").await,
        // Sign-in carries its own token (from the sign-in page), not a session's.
        (Method::Post, "/login") => b.sign_in("nobody@matrix.example", "not the password").await,
        (Method::Post, _) => b.post(path, &[("version", "1")]).await,
        (m, p) => panic!("{m:?} {p}: pages answer GET and POST only"),
    };
    (page.status, page.location.unwrap_or_default(), page.body)
}

/// Whether `status` (and where it leads) is what `expect` means.
fn matches(
    expect: &Expect,
    method: Method,
    path: &str,
    api: bool,
    status: StatusCode,
    location: &str,
    body: &str,
) -> bool {
    let to_sign_in = status == StatusCode::SEE_OTHER && location.starts_with("/login");
    match expect {
        Expect::SignIn if api => status == StatusCode::UNAUTHORIZED,
        Expect::SignIn => to_sign_in,
        // A refusal by role, not a CSRF failure (both are 403 on pages).
        Expect::Forbidden => {
            status == StatusCode::FORBIDDEN && (api || body.contains("You do not have permission"))
        }
        Expect::NotFound => status == StatusCode::NOT_FOUND,
        Expect::Allowed if method == Method::Get => {
            status.is_success() || (status.is_redirection() && !to_sign_in)
        }
        // A form sent with only a CSRF token: saved, or refused as invalid; never refused
        // by role or tenancy, never a server error.
        Expect::Allowed => {
            (!to_sign_in || path == "/logout")
                && ![
                    StatusCode::UNAUTHORIZED,
                    StatusCode::FORBIDDEN,
                    StatusCode::NOT_FOUND,
                    StatusCode::METHOD_NOT_ALLOWED,
                ]
                .contains(&status)
                && !status.is_server_error()
        }
    }
}

/// Routes that read or change people's records: each use must leave an audit entry.
fn touches_people(route: &Route) -> bool {
    const LISTS: [&str; 14] = [
        "/people",
        "/caseload",
        "/caseloads/{user_id}",
        "/triage",
        "/today",
        "/waiting",
        "/safeguarding",
        "/coding",
        "/referrals/mine",
        "/partner/referrals",
        "/api/v1/people",
        "/api/v1/episodes/unassigned",
        "/api/v1/referrals/mine",
        "/api/v1/caseloads/{user_id}",
    ];
    matches!(
        route.rule.target,
        Target::Pcn(
            "person" | "episode" | "connection" | "safeguarding" | "coding_entry" | "coding_batch"
        ) | Target::Partner("connection")
    ) || LISTS.contains(&route.path.as_str())
}

async fn last_audit_seq(app: &TestApp) -> i64 {
    app.store
        .list_audit(&storage::AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.seq)
}

/// What one PCN's records look like, to prove a walk changed none of them.
pub(crate) async fn snapshot(app: &TestApp, pcn_b: i64, r: &Records) -> String {
    let s = &app.store;
    let today = chrono::Utc::now().date_naive();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        s.get_person(pcn_b, r.person).await.unwrap(),
        s.get_episode(pcn_b, r.episode).await.unwrap(),
        s.get_record(pcn_b, r.safeguarding).await.unwrap(),
        s.coding_entries(pcn_b, None, false).await.unwrap(),
        s.get_employment(pcn_b, r.employment).await.unwrap(),
        s.list_users(Some(pcn_b)).await.unwrap(),
        s.api_clients()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.pcn_id == Some(pcn_b))
            .collect::<Vec<_>>(),
        s.care_home_tasks(
            pcn_b,
            today - chrono::Duration::days(365),
            today + chrono::Duration::days(365)
        )
        .await
        .unwrap(),
    )
}

async fn authorisation_matrix(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let w = world(&app).await;
    let pcn_b = app.store.list_pcns().await.unwrap()[1].id;
    let before = snapshot(&app, pcn_b, &w.other).await;
    let mut table = web::routes::table();
    // Sign-out last, so each caller's session lasts the whole walk.
    table.sort_by_key(|r| r.path == "/logout");
    let mut sessions: HashMap<Option<&str>, Browser> = HashMap::new();
    let mut csrf: HashMap<Option<&str>, String> = HashMap::new();
    for who in CALLERS {
        let b = match who {
            Some(who) => signed_in(&app, who).await,
            None => Browser::new(&app),
        };
        csrf.insert(who, b.csrf.clone());
        sessions.insert(who, b);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut checks = 0usize;
    let mut failures = Vec::new();
    let mut routes_checked = 0usize;
    let mut audited = 0usize;
    let mut fhir = 0usize;
    for route in &table {
        if matches!(route.rule.access, Access::Client(_)) {
            fhir += 1;
            continue;
        }
        routes_checked += 1;
        let tenancies: &[Tenancy] = if route.rule.target == Target::None {
            &[Tenancy::Own]
        } else {
            &[Tenancy::Own, Tenancy::Other]
        };
        let api = route.path.starts_with("/api/v1/") || route.path.starts_with("/oruk");
        for &tenancy in tenancies {
            for who in CALLERS {
                let path = concrete(route, &w, who, tenancy);
                let token = who.map(|who| w.tokens[who].0.as_str());
                let b = sessions.get_mut(&who).unwrap();
                let seq = last_audit_seq(&app).await;
                let (status, location, body) =
                    call(&http, &app.base, route, &path, b, token, &csrf[&who]).await;
                // Every read or change of people's records that went through is audited.
                let went_through = status.is_success()
                    || (route.method != Method::Get && status == StatusCode::SEE_OTHER);
                if went_through && who.is_some() && touches_people(route) {
                    audited += 1;
                    if last_audit_seq(&app).await == seq {
                        failures.push(format!(
                            "{} {path} as {} answered {status} and left no audit entry",
                            route.method.as_str(),
                            who.unwrap_or("anonymous")
                        ));
                    }
                }
                // A write to another tenant's record must answer exactly as for no record
                // at all (a 404, or the same validation message), so nothing leaks.
                let (status, location) = if tenancy == Tenancy::Other
                    && route.method != Method::Get
                    && expected(route, who, route.path.starts_with("/api/v1/"), tenancy)
                        == Expect::NotFound
                {
                    let missing = concrete_with(route, &w, who, tenancy, Some("987654"));
                    let (s2, _, body2) =
                        call(&http, &app.base, route, &missing, b, token, &csrf[&who]).await;
                    checks += 1;
                    let record_id = path.rsplit('/').find(|s| s.parse::<i64>().is_ok()).unwrap();
                    let same = s2 == status
                        && (body2 == body || body2.replace("987654", record_id) == body);
                    if status == StatusCode::NOT_FOUND
                        || (same && status == StatusCode::UNPROCESSABLE_ENTITY)
                    {
                        (StatusCode::NOT_FOUND, location)
                    } else {
                        (status, format!("{location} (a missing record gets {s2})"))
                    }
                } else {
                    (status, location)
                };
                checks += 1;
                let by_token = route.path.starts_with("/api/v1/");
                let expect = expected(route, who, by_token, tenancy);
                if !matches(
                    &expect,
                    route.method,
                    &route.path,
                    api,
                    status,
                    &location,
                    &body,
                ) {
                    failures.push(format!(
                        "{} {path} as {} ({tenancy:?}): expected {expect:?} by rule {:?}, got {status} {location} {}",
                        route.method.as_str(),
                        who.unwrap_or("anonymous"),
                        route.rule,
                        if std::env::var("MATRIX_BODY").is_ok() { body.chars().take(3000).collect::<String>() } else { String::new() },
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} authorisation checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        snapshot(&app, pcn_b, &w.other).await,
        before,
        "callers from PCN A changed PCN B's records"
    );
    storage_tests::figure(&format!(
        "Authorisation matrix ({engine:?}): {routes_checked} routes (pages, /api/v1, /oruk) × {} callers × own/other tenant = {checks} checks; {fhir} FHIR routes checked by scope in fhir.rs; {audited} uses of people's records each left an audit entry",
        CALLERS.len()
    ));
}

#[tokio::test]
async fn authorisation_matrix_sqlite() {
    authorisation_matrix(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisation_matrix_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    authorisation_matrix(Engine::Postgres).await;
}

/// Every form (each POST route a session may send) is refused without the session's CSRF
/// token, or with another one, and changes nothing.
#[tokio::test]
async fn every_form_needs_the_csrf_token() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = snapshot(&app, app.pcn_a, &w.own).await;
    let mut checked = 0;
    for route in web::routes::table() {
        let Access::Session(_) = route.rule.access else {
            continue;
        };
        if route.method != Method::Post {
            continue;
        }
        // Someone the rule allows, so only the missing token can refuse the form.
        let who = CALLERS
            .into_iter()
            .flatten()
            .find(|who| expected(&route, Some(who), false, Tenancy::Own) == Expect::Allowed)
            .unwrap_or_else(|| panic!("nobody may POST {}", route.path));
        let path = concrete(&route, &w, Some(who), Tenancy::Own);
        let mut b = signed_in(&app, who).await;
        for token in [None, Some("0".repeat(64))] {
            let page = if route.path == "/directory/import" {
                b.csrf = token.clone().unwrap_or_default();
                b.upload(&path, "services.csv", b"service_name\nX\n").await
            } else {
                let mut fields = vec![("version", "1")];
                if let Some(t) = &token {
                    fields.push(("_csrf", t));
                }
                b.post_raw(&path, &fields).await
            };
            checked += 1;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "POST {path} as {who} with CSRF token {token:?}: {}",
                page.body
            );
            assert!(page.body.contains("Your form expired"), "POST {path}");
        }
    }
    // Sign-in has its own token, from the sign-in page's cookie.
    let mut anonymous = Browser::new(&app);
    let page = anonymous
        .post_raw(
            "/login",
            &[("email", "lw@test.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!anonymous.has_session());
    assert_eq!(
        snapshot(&app, app.pcn_a, &w.own).await,
        before,
        "a form without its token changed a record"
    );
    storage_tests::figure(&format!(
        "CSRF: {checked} form submissions without a valid token refused"
    ));
}
