//! The home page: where each role starts its day.

use crate::auth::{Auth, MaybeAuth};
use crate::pages::triage::{worker_loads, WorkerLoad};
use crate::views::{self, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::Role;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    cards: Vec<(&'static str, &'static str, &'static str)>,
    loads: Vec<WorkerLoad>,
}

pub async fn show(
    State(state): State<AppState>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, AppError> {
    let Some(auth) = auth else {
        return Ok(super::see_other("/login"));
    };
    let role = auth.user.role;
    if role == Role::LinkWorker {
        return Ok(super::see_other("/today"));
    }
    if role == Role::Manager {
        return Ok(super::see_other("/dashboard"));
    }
    let mut cards = Vec::new();
    if role.can_triage() {
        cards.push(("/triage", "Triage", "Assign new referrals to link workers."));
    }
    if role.can_read_people() {
        cards.push((
            "/people",
            "Find a person",
            "Search by name, NHS number, date of birth or postcode.",
        ));
    }
    if role.can_refer() {
        cards.push((
            "/referrals/new",
            "Make a referral",
            "Refer someone to a social prescribing link worker.",
        ));
    }
    if role == Role::Referrer {
        cards.push((
            "/referrals/mine",
            "My referrals",
            "See what has happened to the people you referred.",
        ));
    }
    if role.can_view_audit() {
        cards.push((
            "/audit",
            "Audit log",
            "Who read or changed records, and when.",
        ));
    }
    if role.can_manage_users() {
        cards.push(("/admin/users", "Users", "Add, disable and reset accounts."));
    }
    if role.can_view_reports() {
        cards.push((
            "/dashboard",
            "Dashboard and reports",
            "Headline figures for the PCN, with reports to download.",
        ));
    }
    if role.can_operate() {
        cards.push((
            "/operator/partners",
            "Partner organisations",
            "Community organisations every PCN may refer to: add them, then their accounts.",
        ));
        cards.push((
            "/directory/organizations",
            "Directory links",
            "Which partner organisation keeps each directory organisation's listings.",
        ));
        cards.push((
            "/admin/coding",
            "SNOMED code catalogue",
            "The national codes queued for GP records, for every PCN.",
        ));
        cards.push((
            "/admin/arrs",
            "ARRS maximum amounts",
            "The maximum reimbursable amount per WTE for each financial year.",
        ));
    }
    if role.can_manage_partner_links() {
        cards.push((
            "/partners",
            "Partners",
            "The community organisations that answer this PCN's referrals in Linkwork.",
        ));
    }
    if role == Role::Supervisor {
        cards.push((
            "/supervision",
            "Supervision",
            "Record supervision sessions and see who is due.",
        ));
    }
    if role == Role::Partner {
        cards.push((
            "/partner/referrals",
            "Referrals to us",
            "Accept, reject and report back on people referred to your services.",
        ));
        cards.push((
            "/partner",
            "Our listings",
            "Keep your services and capacity up to date.",
        ));
    }
    if role == Role::Supervisor {
        cards.push((
            "/safeguarding",
            "Safeguarding concerns",
            "Concerns raised to you by link workers: record the action and close them.",
        ));
    }
    if matches!(role, Role::Manager | Role::Supervisor) {
        cards.push((
            "/coding",
            "GP record coding",
            "Codes waiting to be recorded in GP records, by practice.",
        ));
        cards.push((
            "/waiting",
            "Waiting on partners",
            "Referrals to community services not yet finished.",
        ));
    }
    let loads = match (role.can_view_all_caseloads(), auth.user.pcn_id) {
        (true, Some(pcn)) => worker_loads(&state, pcn).await?,
        _ => Vec::new(),
    };
    Ok(views::ok(&HomePage {
        ctx: PageCtx::new(Some(&auth), "Home", "/"),
        cards,
        loads,
    })
    .into_response())
}

/// Every page of the menu, as a list: what "More" opens on a phone, where the menu shows only
/// its first pages.
#[derive(Template)]
#[template(path = "menu.html")]
struct MenuPage {
    ctx: PageCtx,
}

pub async fn menu(auth: Auth) -> Result<Response, AppError> {
    Ok(views::ok(&MenuPage {
        ctx: PageCtx::new(Some(&auth), "Menu", "/menu"),
    }))
}
