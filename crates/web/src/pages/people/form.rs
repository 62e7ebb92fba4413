//! Adding and editing a person: the form, new, create, edit and update.

use super::*;

#[derive(Template)]
#[template(path = "person_form.html")]
pub(super) struct FormPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    errors: Vec<ErrorItem>,
    sections: Vec<Section>,
    version: i64,
    duplicates: Vec<(i64, String)>,
    cancel: String,
}

pub(super) async fn render_form(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    existing: Option<(i64, i64)>,
    draft: &PersonDraft,
    errors: &FieldErrors,
    duplicates: Vec<(i64, String)>,
) -> Result<Response, AppError> {
    let practices = state.store.list_practices(auth.pcn()?).await?;
    let (heading, action, version, cancel) = match existing {
        Some((id, v)) => (
            "Edit details".to_string(),
            format!("/people/{id}"),
            v,
            format!("/people/{id}"),
        ),
        None => (
            "Add a person".to_string(),
            "/people".to_string(),
            0,
            "/people".to_string(),
        ),
    };
    let title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    let page = FormPage {
        ctx: PageCtx::new(Some(auth), title, "/people"),
        heading,
        action,
        errors: error_items(errors),
        sections: person_sections(draft, errors, &practices),
        version,
        duplicates,
        cancel,
    };
    Ok(views::render(status, &page))
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_edit_people(), "person.create")
        .await?;
    render_form(
        &state,
        &auth,
        StatusCode::OK,
        None,
        &PersonDraft::default(),
        &FieldErrors::default(),
        Vec::new(),
    )
    .await
}

pub(crate) fn describe(p: &Person) -> String {
    let nhs = p
        .details
        .nhs_number
        .as_ref()
        .map(|n| format!(", NHS number {n}"))
        .unwrap_or_default();
    format!(
        "{}, born {}{}",
        p.details.full_name(),
        date(p.details.date_of_birth),
        nhs
    )
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_edit_people(), "person.create")
        .await?;
    let pcn = auth.pcn()?;
    let draft = draft_from_form(&form)?;
    let details = match draft.validate(domain::uk_time::today()) {
        Ok(d) => d,
        Err(e) => {
            return render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
    };
    if !form.checked("confirm_not_duplicate") {
        let dups = state.store.find_possible_duplicates(pcn, &details).await?;
        if !dups.is_empty() {
            let shown: Vec<(i64, i64)> = dups.iter().map(|p| (pcn, p.id)).collect();
            auth.audit_shown(
                &state,
                "person.search",
                &shown,
                &format!("duplicate check: {} shown", dups.len()),
            )
            .await?;
            let list = dups.iter().map(|p| (p.id, describe(p))).collect();
            return render_form(
                &state,
                &auth,
                StatusCode::CONFLICT,
                None,
                &draft,
                &FieldErrors::default(),
                list,
            )
            .await;
        }
    }
    match state
        .store
        .create_person(pcn, &details, &auth.actor())
        .await
    {
        Ok(p) => Ok(see_other(&format!("/people/{}?done=person-created", p.id))),
        Err(StorageError::Rule(m)) => {
            let mut e = FieldErrors::default();
            e.add("practice_id", m);
            render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_edit_people(), "person.edit")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        return Err(auth.not_found(&state, "person", id).await);
    };
    auth.need_to_know(&state, pcn, id).await?;
    auth.audit_read(&state, "person.read", Some(id), "edit form".into())
        .await?;
    render_form(
        &state,
        &auth,
        StatusCode::OK,
        Some((id, p.version)),
        &p.details.to_draft(),
        &FieldErrors::default(),
        Vec::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_edit_people(), "person.update")
        .await?;
    let pcn = auth.pcn()?;
    if state.store.get_person(pcn, id).await?.is_none() {
        return Err(auth.not_found(&state, "person", id).await);
    }
    auth.need_to_know(&state, pcn, id).await?;
    let version = form.i64("version")?;
    let draft = draft_from_form(&form)?;
    let details = match draft.validate(domain::uk_time::today()) {
        Ok(d) => d,
        Err(e) => {
            return render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((id, version)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
    };
    match state
        .store
        .update_person(pcn, id, version, &details, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{id}?done=person-updated"))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "person", id).await),
        Err(StorageError::Stale) => {
            // Keep what the user typed; show the current version number so saving again
            // is a deliberate choice after reviewing the latest record.
            let current = state
                .store
                .get_person(pcn, id)
                .await?
                .map_or(version, |p| p.version);
            let mut e = FieldErrors::default();
            e.add(
                "given_name",
                "Someone else changed this person's details after you opened them, so your changes were not saved. \
                 Your changes are still in the form below: open the record in a new tab to compare, then save again.",
            );
            render_form(
                &state,
                &auth,
                StatusCode::CONFLICT,
                Some((id, current)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(StorageError::Rule(m)) => {
            let mut e = FieldErrors::default();
            e.add("practice_id", m);
            render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((id, version)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
