//! The link worker's Today page: what needs doing now, across their caseload.

use super::connections::{waiting_rows, WaitingRow};
use crate::auth::Auth;
use crate::views::{self, date, datetime, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use domain::{CarePlan, Code, EpisodeState, RecordKind, Safeguarding};
use std::collections::HashMap;
use storage::CaseloadFilter;

pub(crate) struct TodayRow {
    pub person_id: i64,
    pub name: String,
    pub detail: String,
    pub when: String,
    pub flag: bool,
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    ctx: PageCtx,
    wait_days: i64,
    new_referrals: Vec<TodayRow>,
    contacts_due: Vec<TodayRow>,
    /// Reviews whose date has passed, oldest first, then those due in the next 7 days.
    reviews_overdue: Vec<TodayRow>,
    reviews_due: Vec<TodayRow>,
    overdue: Vec<WaitingRow>,
    safeguarding: Vec<TodayRow>,
    /// People of theirs who asked on their own plan to be called.
    call_requests: Vec<TodayRow>,
}

pub async fn show(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.has_today(), "today")
        .await?;
    let pcn = auth.pcn()?;
    let me = auth.user.id;
    let now = Utc::now();
    let wait = state.config.first_contact_wait_days;
    let rows = state
        .store
        .caseload(pcn, me, &CaseloadFilter::default())
        .await?;
    let names: HashMap<i64, String> = rows
        .iter()
        .map(|r| (r.person_id, format!("{} {}", r.given_name, r.family_name)))
        .collect();
    // The caseload comes longest-waiting first, so the flagged ones lead.
    let new_referrals: Vec<TodayRow> = rows
        .iter()
        .filter(|r| r.state == EpisodeState::Referred)
        .map(|r| TodayRow {
            person_id: r.person_id,
            name: names[&r.person_id].clone(),
            detail: format!(
                "{} · {}",
                r.urgency.label(),
                r.needs
                    .iter()
                    .map(|n| n.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            when: format!("Referred {} days ago", r.days_waiting(now)),
            flag: r.days_waiting(now) > wait,
        })
        .collect();
    // The end of today in the UK.
    let end_of_today =
        domain::uk_time::start_of(domain::uk_time::to_uk(now).date() + Duration::days(1))
            - Duration::seconds(1);
    let mut due: Vec<&storage::CaseloadRow> = rows
        .iter()
        .filter(|r| r.next_contact_at.is_some_and(|t| t <= end_of_today))
        .collect();
    due.sort_by_key(|r| r.next_contact_at);
    let contacts_due = due
        .iter()
        .map(|r| {
            let t = r.next_contact_at.unwrap_or(now);
            TodayRow {
                person_id: r.person_id,
                name: names[&r.person_id].clone(),
                detail: r.state.label().into(),
                when: date(domain::uk_time::to_uk(t).date()),
                flag: domain::uk_time::to_uk(t).date() < domain::uk_time::to_uk(now).date(),
            }
        })
        .collect();
    let (reviews_overdue, reviews_due): (Vec<TodayRow>, Vec<TodayRow>) = state
        .store
        .due_records(pcn, RecordKind::Plan, me, now + Duration::days(7))
        .await?
        .into_iter()
        .filter_map(|r| {
            let plan = r.parse::<CarePlan>()?;
            Some(TodayRow {
                person_id: r.person_id,
                name: names.get(&r.person_id).cloned().unwrap_or_default(),
                detail: format!("Plan agreed {}", date(plan.agreed_on)),
                when: date(plan.review_on),
                flag: plan.review_on < domain::uk_time::to_uk(now).date(),
            })
        })
        .partition(|r| r.flag);
    let overdue_list = state.store.overdue_referrals(pcn, me, now).await?;
    let overdue = waiting_rows(&overdue_list, now);
    let safeguarding = state
        .store
        .records_by_status(pcn, RecordKind::Safeguarding, "open", None)
        .await?
        .into_iter()
        .filter(|r| names.contains_key(&r.person_id))
        .filter_map(|r| {
            let s = r.parse::<Safeguarding>()?;
            Some(TodayRow {
                person_id: r.person_id,
                name: names[&r.person_id].clone(),
                detail: s.concern,
                when: datetime(r.created_at),
                flag: true,
            })
        })
        .collect();
    let call_requests: Vec<TodayRow> = state
        .store
        .open_call_requests(pcn)
        .await?
        .into_iter()
        .filter(|r| names.contains_key(&r.person_id))
        .map(|r| TodayRow {
            person_id: r.person_id,
            name: names[&r.person_id].clone(),
            detail: match r.best_time.as_str() {
                "morning" => "In the morning".into(),
                "afternoon" => "In the afternoon".into(),
                _ => "Any time".into(),
            },
            when: datetime(r.created_at),
            flag: true,
        })
        .collect();
    let shown: Vec<(i64, i64)> = new_referrals
        .iter()
        .chain(&contacts_due)
        .chain(&reviews_overdue)
        .chain(&reviews_due)
        .chain(&safeguarding)
        .chain(&call_requests)
        .map(|r| (pcn, r.person_id))
        .chain(overdue_list.iter().map(|c| (pcn, c.person_id)))
        .collect();
    auth.audit_shown(
        &state,
        "today.read",
        &shown,
        &format!("{} open episodes", rows.len()),
    )
    .await?;
    Ok(views::ok(&TodayPage {
        ctx: PageCtx::new(Some(&auth), "Today", "/today"),
        wait_days: wait,
        new_referrals,
        contacts_due,
        reviews_overdue,
        reviews_due,
        overdue,
        safeguarding,
        call_requests,
    }))
}
