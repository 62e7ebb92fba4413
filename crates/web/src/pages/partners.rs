//! Who shares what between PCNs and partner organisations (docs/security.md, "Ownership"):
//! the PCN manager's side of each relationship, the partner's side, and the deployment
//! operator's list of partner organisations.

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::views::{self, datetime, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use storage::{AuditEntry, LinkSide, PartnerLink, StorageError};

/// One row of a relationship list, from the viewer's side.
struct LinkRow {
    /// The other side's id (the partner organisation for a PCN, the PCN for a partner).
    id: i64,
    name: String,
    status: String,
    /// Whether this side holds it now (its button ends it; otherwise it agrees).
    held: bool,
}

fn status_for(l: Option<&PartnerLink>, side: LinkSide) -> (String, bool) {
    let Some(l) = l else {
        return ("Not linked".into(), false);
    };
    let (mine, theirs) = match side {
        LinkSide::Pcn => (l.pcn_agreed_at, l.partner_agreed_at),
        LinkSide::Partner => (l.partner_agreed_at, l.pcn_agreed_at),
    };
    let text = match (mine, theirs) {
        (Some(_), Some(t)) => format!("Live since {}", datetime(t.max(mine.unwrap_or(t)))),
        (Some(m), None) => match side {
            LinkSide::Pcn => format!("Asked on {}: waiting for them to accept", datetime(m)),
            LinkSide::Partner => "Ended by the PCN".into(),
        },
        (None, Some(_)) => match side {
            LinkSide::Pcn => "Ended by this PCN".into(),
            LinkSide::Partner => "The PCN asks you to accept its referrals".into(),
        },
        (None, None) => "Ended".into(),
    };
    (text, mine.is_some())
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PcnPage {
    ctx: PageCtx,
    rows: Vec<LinkRow>,
}

/// The PCN manager's list: every partner organisation and this PCN's relationship with it.
pub async fn pcn_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_partner_links(),
        "partners.list",
    )
    .await?;
    let pcn = auth.pcn()?;
    let links = state.store.partner_links(Some(pcn), None).await?;
    let rows = state
        .store
        .list_partner_orgs()
        .await?
        .into_iter()
        .map(|o| {
            let (status, held) = status_for(
                links.iter().find(|l| l.partner_org_id == o.id),
                LinkSide::Pcn,
            );
            LinkRow {
                id: o.id,
                name: o.name,
                status,
                held,
            }
        })
        .collect();
    let ctx = PageCtx::new(Some(&auth), "Partners", "/partners").flash(flash(done.done.as_deref()));
    Ok(views::ok(&PcnPage { ctx, rows }))
}

/// `agree=yes` holds the relationship, `agree=no` ends it; anything else is refused.
fn agreed(form: &crate::form::FormData) -> Result<bool, AppError> {
    match form.get("agree") {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(AppError::BadRequest(
            "Choose to accept the relationship or to end it".into(),
        )),
    }
}

/// The PCN's side: ask to refer to a partner through Linkwork, or end it.
pub async fn pcn_set(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_partner_links(),
        "partners.set",
    )
    .await?;
    let agree = agreed(&form)?;
    match state
        .store
        .set_partner_link(auth.pcn()?, org, LinkSide::Pcn, agree, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other("/partners?done=partner-link")),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "partner_org", org).await),
        Err(e) => Err(e.into()),
    }
}

/// The partner's side: accept a PCN's referrals through Linkwork, or end the relationship.
/// A PCN that has not asked answers 404, as does one that does not exist.
pub async fn partner_set(
    State(state): State<AppState>,
    auth: Auth,
    Path(pcn): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let org = match (auth.user.role, auth.user.partner_org_id) {
        (Role::Partner, Some(o)) => Some(o),
        _ => None,
    };
    auth.require(&state, org.is_some(), "partner.pcn_link")
        .await?;
    let agree = agreed(&form)?;
    match state
        .store
        .set_partner_link(
            pcn,
            org.unwrap_or_default(),
            LinkSide::Partner,
            agree,
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other("/partner?done=partner-link")),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "pcn_link", pcn).await),
        Err(e) => Err(e.into()),
    }
}

/// A partner's relationships, for their home page.
pub(crate) async fn partner_rows(state: &AppState, org: i64) -> Result<Vec<LinkRowView>, AppError> {
    Ok(state
        .store
        .partner_links(None, Some(org))
        .await?
        .iter()
        .filter(|l| l.pcn_agreed_at.is_some() || l.partner_agreed_at.is_some())
        .map(|l| {
            let (status, held) = status_for(Some(l), LinkSide::Partner);
            LinkRowView {
                id: l.pcn_id,
                name: l.pcn_name.clone(),
                status,
                held,
            }
        })
        .collect())
}

/// A relationship as a partner's page shows it.
pub struct LinkRowView {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub held: bool,
}

struct OrgRow {
    name: String,
    pcns: String,
    accounts: usize,
}

#[derive(Template)]
#[template(path = "operator_partners.html")]
struct OperatorPage {
    ctx: PageCtx,
    orgs: Vec<OrgRow>,
    name: String,
    error: Option<String>,
}

async fn operator_render(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    name: &str,
    error: Option<String>,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let links = state.store.partner_links(None, None).await?;
    let users = state.store.list_users(None).await?;
    let orgs = state
        .store
        .list_partner_orgs()
        .await?
        .into_iter()
        .map(|o| OrgRow {
            pcns: links
                .iter()
                .filter(|l| l.partner_org_id == o.id && l.is_live())
                .map(|l| l.pcn_name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            accounts: users
                .iter()
                .filter(|u| u.partner_org_id == Some(o.id) && !u.disabled)
                .count(),
            name: o.name,
        })
        .collect();
    let title = if error.is_some() {
        "Error: Partner organisations"
    } else {
        "Partner organisations"
    };
    Ok(views::render(
        status,
        &OperatorPage {
            ctx: PageCtx::new(Some(auth), title, "/operator/partners").flash(flash(done)),
            orgs,
            name: name.into(),
            error,
        },
    ))
}

/// The operator's list of partner organisations: who each serves, how many accounts it has.
pub async fn operator_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_operate(), "operator.partners")
        .await?;
    operator_render(
        &state,
        &auth,
        StatusCode::OK,
        "",
        None,
        done.done.as_deref(),
    )
    .await
}

/// The operator adds a partner organisation (its accounts come next, under Users).
pub async fn operator_create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_operate(),
        "operator.partners.create",
    )
    .await?;
    let name = form.get("name").trim().to_string();
    let problem = if name.is_empty() || name.chars().count() > 150 {
        Some("Enter the organisation's name (150 characters or fewer)")
    } else if state
        .store
        .list_partner_orgs()
        .await?
        .iter()
        .any(|o| o.name.eq_ignore_ascii_case(&name))
    {
        Some("A partner organisation with this name already exists")
    } else {
        None
    };
    if let Some(p) = problem {
        return operator_render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            &name,
            Some(p.into()),
            None,
        )
        .await;
    }
    let org = state.store.create_partner_org(&name).await?;
    state
        .store
        .append_audit(
            &AuditEntry::new(
                &auth.actor(),
                "partner_org.create",
                "partner_org",
                Some(org.id),
                None,
            )
            .detail(name),
        )
        .await?;
    Ok(see_other("/operator/partners?done=partner-org"))
}
