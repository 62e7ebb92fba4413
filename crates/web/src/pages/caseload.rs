//! A link worker's caseload: their people, each episode's state, days waiting since
//! referral, last and next contact, with filters, sorting and a capacity figure.

use crate::auth::Auth;
use crate::views::{self, opt_date, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use domain::{CapacityBand, Code, EpisodeState, Role};
use storage::{CaseloadFilter, CaseloadRow, CaseloadSort};

#[derive(serde::Deserialize, Default)]
pub struct CaseloadQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    sort: String,
}

pub(crate) struct Row {
    pub person_id: i64,
    pub name: String,
    pub age: u32,
    pub state: String,
    pub tag: &'static str,
    pub urgency: String,
    pub urgent: bool,
    pub days_waiting: i64,
    pub referred: String,
    pub last_contact: String,
    pub next_contact: String,
    pub needs: String,
    pub episode_id: i64,
    pub version: i64,
}

pub(crate) fn rows(list: &[CaseloadRow]) -> Vec<Row> {
    let now = Utc::now();
    list.iter()
        .map(|r| Row {
            person_id: r.person_id,
            name: format!("{}, {}", r.family_name.to_uppercase(), r.given_name),
            age: domain::uk_time::to_uk(now)
                .date()
                .years_since(r.date_of_birth)
                .unwrap_or(0),
            state: r.state.label().into(),
            tag: r.state.tag(),
            urgency: r.urgency.label().into(),
            urgent: r.urgency != domain::Urgency::Routine,
            days_waiting: r.days_waiting(now),
            referred: views::date(domain::uk_time::to_uk(r.referred_at).date()),
            last_contact: opt_date(r.last_contact_at),
            next_contact: opt_date(r.next_contact_at),
            needs: r
                .needs
                .iter()
                .map(|n| n.label())
                .collect::<Vec<_>>()
                .join(", "),
            episode_id: r.episode_id,
            version: r.episode_version,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    rows: Vec<Row>,
    states: Vec<Opt>,
    sorts: Vec<Opt>,
    taken_on: u32,
    band: &'static str,
    open_count: usize,
    filtered: bool,
}

pub async fn mine(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<CaseloadQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.has_caseload(), "caseload.view")
        .await?;
    render(&state, &auth, auth.user.id, q, "/caseload").await
}

pub async fn of_worker(
    State(state): State<AppState>,
    auth: Auth,
    Path(user_id): Path<i64>,
    Query(q): Query<CaseloadQuery>,
) -> Result<Response, AppError> {
    let own = user_id == auth.user.id && auth.user.role.has_caseload();
    auth.require(
        &state,
        own || auth.user.role.can_view_all_caseloads(),
        "caseload.view",
    )
    .await?;
    render(&state, &auth, user_id, q, &format!("/caseloads/{user_id}")).await
}

/// Checks that `worker_id` is a link worker in the user's PCN (else audited 404) and reads
/// the state filter ("open" or a state code) and sort order ("waiting", "name", "next",
/// "last"). Shared by the caseload page and the API.
pub(crate) async fn load_caseload_request(
    state: &AppState,
    auth: &Auth,
    worker_id: i64,
    state_code: &str,
    sort: &str,
) -> Result<(storage::User, CaseloadFilter), AppError> {
    let pcn = auth.pcn()?;
    let worker = match state.store.user_by_id(worker_id).await? {
        Some(u) if u.pcn_id == Some(pcn) && u.role == Role::LinkWorker => u,
        _ => return Err(auth.not_found(state, "caseload", worker_id).await),
    };
    let states = match state_code {
        "" | "open" => Vec::new(),
        s => vec![EpisodeState::from_code(s).ok_or_else(|| {
            AppError::BadRequest(
                "Choose a state from the list (or open for all open episodes)".into(),
            )
        })?],
    };
    let sort = match sort {
        "" | "waiting" => CaseloadSort::Waiting,
        "name" => CaseloadSort::Name,
        "next" => CaseloadSort::NextContact,
        "last" => CaseloadSort::LastContact,
        _ => {
            return Err(AppError::BadRequest(
                "Choose how to sort from the list: waiting, name, next or last".into(),
            ))
        }
    };
    Ok((worker, CaseloadFilter { states, sort }))
}

async fn render(
    state: &AppState,
    auth: &Auth,
    worker_id: i64,
    q: CaseloadQuery,
    action: &str,
) -> Result<Response, AppError> {
    let pcn = auth.pcn()?;
    let (worker, filter) = load_caseload_request(state, auth, worker_id, &q.state, &q.sort).await?;
    let state_filter = filter.states.first().copied();
    let list = state.store.caseload(pcn, worker_id, &filter).await?;
    let open_count = if state_filter.is_none() {
        list.len()
    } else {
        state
            .store
            .caseload(pcn, worker_id, &CaseloadFilter::default())
            .await?
            .len()
    };
    let shown: Vec<(i64, i64)> = list.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        state,
        "caseload.view",
        &shown,
        &format!("caseload of user {worker_id}: {} rows", list.len()),
    )
    .await?;
    let taken_on = state
        .store
        .taken_on_since(pcn, worker_id, Utc::now() - Duration::days(365))
        .await?;
    let mut states = vec![Opt {
        value: "open".into(),
        label: "All open episodes".into(),
        selected: state_filter.is_none(),
    }];
    states.extend(EpisodeState::ALL.iter().map(|s| Opt {
        value: s.code().into(),
        label: s.label().into(),
        selected: state_filter == Some(*s),
    }));
    let sorts = [
        ("waiting", "Longest waiting first"),
        ("name", "Name"),
        ("next", "Next contact"),
        ("last", "Most recent contact"),
    ]
    .iter()
    .map(|(v, l)| Opt {
        value: (*v).into(),
        label: (*l).into(),
        selected: q.sort == *v || (q.sort.is_empty() && *v == "waiting"),
    })
    .collect();
    let heading = if worker_id == auth.user.id {
        "My caseload".to_string()
    } else {
        format!("Caseload: {}", worker.name)
    };
    let page = CaseloadPage {
        ctx: PageCtx::new(Some(auth), heading.clone(), action),
        heading,
        action: action.into(),
        rows: rows(&list),
        states,
        sorts,
        taken_on,
        band: CapacityBand::for_count(taken_on).label(),
        open_count,
        filtered: state_filter.is_some(),
    };
    Ok(views::ok(&page))
}
