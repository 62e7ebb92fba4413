//! Connections waiting on partners.

use super::*;

#[derive(Template)]
#[template(path = "waiting.html")]
pub(super) struct WaitingPage {
    ctx: PageCtx,
    mine_only: bool,
    rows: Vec<WaitingRow>,
}

pub(crate) struct WaitingRow {
    pub person_id: i64,
    pub person: String,
    pub service: String,
    pub organization: String,
    pub status: String,
    pub sent: String,
    pub due: String,
    pub overdue: bool,
}

pub(crate) fn waiting_rows(list: &[Connection], now: chrono::DateTime<Utc>) -> Vec<WaitingRow> {
    list.iter()
        .map(|c| WaitingRow {
            person_id: c.person_id,
            person: c.shared.name.clone(),
            service: c.service_name.clone(),
            organization: c.organization_name.clone(),
            status: c.status.label().into(),
            sent: datetime(c.created_at),
            due: c
                .due_at
                .map(|d| views::date(domain::uk_time::to_uk(d).date()))
                .unwrap_or_default(),
            overdue: c.is_overdue(now),
        })
        .collect()
}

pub async fn waiting(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_view_waiting(),
        "connection.waiting",
    )
    .await?;
    let pcn = auth.pcn()?;
    let mine_only = auth.user.role == Role::LinkWorker;
    let list = state
        .store
        .open_referrals(pcn, mine_only.then_some(auth.user.id))
        .await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|c| (pcn, c.person_id)).collect();
    auth.audit_shown(
        &state,
        "connection.waiting",
        &shown,
        &format!("{} referrals", list.len()),
    )
    .await?;
    Ok(views::ok(&WaitingPage {
        ctx: PageCtx::new(Some(&auth), "Waiting on partners", "/waiting"),
        mine_only,
        rows: waiting_rows(&list, Utc::now()),
    }))
}
