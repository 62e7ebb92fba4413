//! Organisations and their partner links, and the partner's own listings page.

use super::*;

#[derive(Template)]
#[template(path = "directory_orgs.html")]
struct OrgsPage {
    ctx: PageCtx,
    orgs: Vec<(String, String, Vec<Opt>)>,
    /// Only the deployment operator changes which partner keeps an organisation.
    editable: bool,
}

pub async fn organizations(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_view_partner_links(),
        "directory.organizations",
    )
    .await?;
    let partners = state.store.list_partner_orgs().await?;
    let orgs = state
        .directory
        .organizations()
        .await?
        .into_iter()
        .map(|(o, linked)| {
            let mut opts = vec![Opt {
                value: String::new(),
                label: "No partner account".into(),
                selected: linked.is_none(),
            }];
            opts.extend(partners.iter().map(|p| Opt {
                value: p.id.to_string(),
                label: p.name.clone(),
                selected: linked == Some(p.id),
            }));
            (o.id, o.name, opts)
        })
        .collect();
    let ctx =
        PageCtx::new(Some(&auth), "Organisations", "/directory").flash(flash(done.done.as_deref()));
    Ok(views::ok(&OrgsPage {
        ctx,
        orgs,
        editable: auth.user.role.can_operate(),
    }))
}

pub async fn link_partner(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_operate(),
        "directory.partner_link",
    )
    .await?;
    let f = auth.form(&body)?;
    let partner = f.opt_i64("partner_org_id")?;
    if let Some(p) = partner {
        if !state
            .store
            .list_partner_orgs()
            .await?
            .iter()
            .any(|o| o.id == p)
        {
            return Err(AppError::BadRequest(
                "Choose a partner organisation from the list".into(),
            ));
        }
    }
    state
        .store
        .link_partner(&id, partner, &auth.actor())
        .await?;
    state.directory.refresh().await?;
    Ok(see_other("/directory/organizations?done=partner-linked"))
}

// ---------------------------------------------------------------- partner pages

#[derive(Template)]
#[template(path = "partner_home.html")]
struct PartnerPage {
    ctx: PageCtx,
    services: Vec<(Card, i64)>,
    capacities: Vec<Opt>,
    pcns: Vec<crate::pages::partners::LinkRowView>,
    /// Referrals waiting for an answer, those past their answer time, and those going on.
    new: usize,
    overdue: usize,
    going_on: usize,
}

pub async fn partner_home(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let org = match (auth.user.role, auth.user.partner_org_id) {
        (Role::Partner, Some(o)) => Some(o),
        _ => None,
    };
    auth.require(&state, org.is_some(), "partner.home").await?;
    let records = state
        .store
        .dir_services_for_partner(org.unwrap_or_default())
        .await?;
    let ids: Vec<String> = records.into_iter().map(|r| r.id).collect();
    let services = state
        .directory
        .entries(&ids)
        .await?
        .iter()
        .map(|e| (card(e, None), e.version))
        .collect();
    // Counts only (no one named): the referrals page shows who, and audits it.
    let referrals = state
        .store
        .connections_for_partner(org.unwrap_or_default())
        .await?;
    let now = chrono::Utc::now();
    let new = referrals
        .iter()
        .filter(|c| c.status == domain::ConnectionStatus::Requested)
        .count();
    let overdue = referrals.iter().filter(|c| c.is_overdue(now)).count();
    let going_on = referrals
        .iter()
        .filter(|c| {
            matches!(
                c.status,
                domain::ConnectionStatus::Accepted
                    | domain::ConnectionStatus::InProgress
                    | domain::ConnectionStatus::OnHold
            )
        })
        .count();
    let ctx =
        PageCtx::new(Some(&auth), "Our listings", "/partner").flash(flash(done.done.as_deref()));
    Ok(views::ok(&PartnerPage {
        ctx,
        services,
        capacities: opts_from::<ServiceCapacity>(&[]),
        pcns: crate::pages::partners::partner_rows(&state, org.unwrap_or_default()).await?,
        new,
        overdue,
        going_on,
    }))
}
