//! The partner's side: their list of referrals, one referral and its status.

use super::*;

pub(super) fn partner_org(auth: &Auth) -> Option<i64> {
    match (auth.user.role, auth.user.partner_org_id) {
        (Role::Partner, Some(o)) => Some(o),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "partner_referrals.html")]
pub(super) struct PartnerList {
    ctx: PageCtx,
    open: Vec<(i64, String, String, String, String, bool)>,
    closed: Vec<(i64, String, String, String, String, bool)>,
}

pub async fn partner_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let org = partner_org(&auth);
    auth.require(&state, org.is_some(), "partner.referrals")
        .await?;
    let list = state
        .store
        .connections_for_partner(org.unwrap_or_default())
        .await?;
    let now = Utc::now();
    let row = |c: &Connection| {
        (
            c.id,
            c.shared.name.clone(),
            c.service_name.clone(),
            datetime(c.created_at),
            c.status.partner_label().to_string(),
            c.is_overdue(now),
        )
    };
    let (mut open, closed): (Vec<&Connection>, Vec<&Connection>) =
        list.iter().partition(|c| !c.status.is_closed());
    // Overdue answers first, then new ones, oldest first.
    open.sort_by_key(|c| {
        (
            !c.is_overdue(now),
            c.status != domain::ConnectionStatus::Requested,
            c.created_at,
        )
    });
    let shown: Vec<(i64, i64)> = list.iter().map(|c| (c.pcn_id, c.person_id)).collect();
    auth.audit_shown(
        &state,
        "partner.referrals",
        &shown,
        &format!("{} referrals", list.len()),
    )
    .await?;
    Ok(views::ok(&PartnerList {
        ctx: PageCtx::new(Some(&auth), "Referrals to us", "/partner/referrals")
            .flash(flash(done.done.as_deref())),
        open: open.into_iter().map(row).collect(),
        closed: closed.into_iter().map(row).collect(),
    }))
}

#[derive(Template)]
#[template(path = "partner_referral.html")]
pub(super) struct PartnerReferral {
    ctx: PageCtx,
    c: Connection,
    sent: String,
    due: String,
    overdue: bool,
    next: Vec<Opt>,
    reasons: Vec<Opt>,
    error: Option<String>,
}

pub(super) async fn partner_view(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(i64, Connection), AppError> {
    let org = partner_org(auth);
    auth.require(state, org.is_some(), "partner.referral")
        .await?;
    let org = org.unwrap_or_default();
    match state
        .store
        .get_connection(ConnectionScope::Partner(org), id)
        .await?
    {
        Some(c) => Ok((org, c)),
        None => Err(auth.not_found(state, "connection", id).await),
    }
}

pub(super) fn partner_page(auth: &Auth, c: Connection, error: Option<String>) -> PartnerReferral {
    let now = Utc::now();
    PartnerReferral {
        ctx: PageCtx::new(Some(auth), "Referral", "/partner/referrals"),
        sent: datetime(c.created_at),
        due: c
            .due_at
            .map(|d| views::date(domain::uk_time::to_uk(d).date()))
            .unwrap_or_default(),
        overdue: c.is_overdue(now),
        next: c
            .status
            .next(Side::Partner)
            .iter()
            .map(|s| Opt {
                value: s.code().into(),
                label: s.partner_action().into(),
                selected: false,
            })
            .collect(),
        reasons: ConnectionReason::ALL
            .iter()
            .map(|r| Opt {
                value: r.code().into(),
                label: r.label().into(),
                selected: false,
            })
            .collect(),
        c,
        error,
    }
}

pub async fn partner_show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, c) = partner_view(&state, &auth, id).await?;
    auth.audit_read_in(
        &state,
        "partner.referral.read",
        c.pcn_id,
        c.person_id,
        format!("connection {id}"),
    )
    .await?;
    Ok(views::ok(&partner_page(&auth, c, None)))
}

pub async fn partner_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (org, c) = partner_view(&state, &auth, id).await?;
    let change = change_from(&form, Side::Partner)?;
    match state
        .store
        .update_connection(
            ConnectionScope::Partner(org),
            id,
            form.i64("version")?,
            &change,
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other("/partner/referrals?done=referral-updated")),
        Err(StorageError::Rule(m)) => {
            // The refusal shows the referral again: a read like any other.
            auth.audit_read_in(
                &state,
                "partner.referral.read",
                c.pcn_id,
                c.person_id,
                format!("connection {id}, shown again with: {m}"),
            )
            .await?;
            Ok(views::render(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                &partner_page(&auth, c, Some(m)),
            ))
        }
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "connection", id).await),
        Err(e) => Err(e.into()),
    }
}
