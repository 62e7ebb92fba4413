//! A service's page: what, when, where, cost, eligibility, how to refer, capacity.

use super::*;

#[derive(Template)]
#[template(path = "service_show.html")]
struct ServicePage {
    ctx: PageCtx,
    card: Card,
    e: Entry,
    phones: Vec<String>,
    languages: String,
    access: String,
    verified: String,
    response_days: u16,
    can_edit: bool,
    can_manage: bool,
    capacities: Vec<Opt>,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let e = load(&state, &id).await?;
    let editable = can_edit(&auth, &e);
    auth.require(
        &state,
        auth.user.role.can_search_directory() || editable,
        "directory.service.view",
    )
    .await?;
    let phones = e
        .service
        .phones
        .iter()
        .chain(e.service.contacts.iter().flat_map(|c| c.phones.iter()))
        .map(|p| p.number.clone())
        .collect();
    let languages = e
        .service
        .languages
        .iter()
        .filter_map(|l| l.name.clone().or(l.code.clone()))
        .collect::<Vec<_>>()
        .join(", ");
    let access = e
        .listing
        .access_features
        .iter()
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(", ");
    let page = ServicePage {
        ctx: PageCtx::new(Some(&auth), e.service.name.clone(), "/directory")
            .flash(flash(done.done.as_deref())),
        card: card(&e, None),
        phones,
        languages: if languages.is_empty() {
            "English".into()
        } else {
            languages
        },
        access: if access.is_empty() {
            "None recorded".into()
        } else {
            access
        },
        verified: e
            .listing
            .verified_on
            .map(views::date)
            .unwrap_or_else(|| "Never".into()),
        response_days: e.listing.response_days,
        can_edit: editable,
        can_manage: auth.user.role.can_manage_directory(),
        capacities: opts_from::<ServiceCapacity>(&[e.listing.capacity.code().to_string()]),
        e,
    };
    Ok(views::ok(&page))
}
