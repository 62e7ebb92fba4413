//! Triage: the PCN's unassigned queue, most urgent and longest waiting first, with the
//! link workers' current loads so work can be shared fairly.

use super::{flash, DoneQuery};
use crate::auth::Auth;
use crate::pages::caseload::{rows, Row};
use crate::views::{self, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use domain::{CapacityBand, Role};
use storage::CaseloadFilter;

pub(crate) struct WorkerLoad {
    pub id: i64,
    pub name: String,
    pub open: usize,
    pub taken_on: u32,
    pub band: &'static str,
}

pub(crate) async fn worker_loads(state: &AppState, pcn: i64) -> Result<Vec<WorkerLoad>, AppError> {
    let since = Utc::now() - Duration::days(365);
    let mut loads = Vec::new();
    for u in state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker && !u.disabled)
    {
        let open = state
            .store
            .caseload(pcn, u.id, &CaseloadFilter::default())
            .await?
            .len();
        let taken_on = state.store.taken_on_since(pcn, u.id, since).await?;
        loads.push(WorkerLoad {
            id: u.id,
            name: u.name,
            open,
            taken_on,
            band: CapacityBand::for_count(taken_on).label(),
        });
    }
    Ok(loads)
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    /// Per row: the person looks like another record held (a GP system or a referrer sent
    /// someone the PCN may already know): check and merge before taking them on.
    dups: Vec<bool>,
    /// Per row: whether the person referred themselves, and the reference given to whoever
    /// referred through the public form (empty for staff referrals).
    selfs: Vec<(bool, String)>,
    workers: Vec<Opt>,
    loads: Vec<WorkerLoad>,
}

pub async fn queue(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_triage(), "triage.view")
        .await?;
    let pcn = auth.pcn()?;
    let list = state.store.unassigned_queue(pcn).await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        &state,
        "triage.view",
        &shown,
        &format!("{} unassigned", list.len()),
    )
    .await?;
    let mut dups = Vec::with_capacity(list.len());
    for r in &list {
        let dup = match state.store.get_person(pcn, r.person_id).await? {
            Some(p) => state
                .store
                .find_possible_duplicates(pcn, &p.details)
                .await?
                .iter()
                .any(|o| o.id != p.id),
            None => false,
        };
        dups.push(dup);
    }
    let loads = worker_loads(&state, pcn).await?;
    let workers = loads
        .iter()
        .map(|w| Opt {
            value: w.id.to_string(),
            label: format!("{} ({} open)", w.name, w.open),
            selected: w.id == auth.user.id,
        })
        .collect();
    let page = TriagePage {
        ctx: PageCtx::new(Some(&auth), "Triage", "/triage").flash(flash(q.done.as_deref())),
        rows: rows(&list),
        dups,
        selfs: list
            .iter()
            .map(|r| {
                (
                    r.source == domain::ReferralSource::SelfReferral,
                    r.reference.clone().unwrap_or_default(),
                )
            })
            .collect(),
        workers,
        loads,
    };
    Ok(views::ok(&page))
}
