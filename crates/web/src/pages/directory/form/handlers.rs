//! The listing handlers: new, create, edit, update, retire and capacity updates.

use super::*;

pub(super) async fn render_form(
    state: &AppState,
    auth: &Auth,
    e: Option<&Entry>,
    d: &Draft,
    errs: &FieldErrors,
) -> Result<Response, AppError> {
    let manager = auth.user.role.can_manage_directory();
    let orgs = if manager {
        state.directory.organizations().await?
    } else {
        vec![]
    };
    let (heading, action, cancel, version) = match e {
        Some(e) => (
            format!("Edit {}", e.service.name),
            format!("/directory/services/{}", e.service.id),
            format!("/directory/services/{}", e.service.id),
            e.version,
        ),
        None => (
            "Add a service".to_string(),
            "/directory/services".to_string(),
            "/directory".to_string(),
            0,
        ),
    };
    let status = if errs.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        ctx: PageCtx::new(Some(auth), heading.clone(), "/directory"),
        heading,
        action,
        cancel,
        version,
        sections: sections(d, errs, &orgs, manager),
        errors: error_items(errs),
    };
    Ok(views::render(status, &page))
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.create",
    )
    .await?;
    let d = draft_from_entry(&Entry::new(""));
    render_form(&state, &auth, None, &d, &FieldErrors::default()).await
}

pub(super) async fn postcode_point(
    state: &AppState,
    d: &Draft,
) -> Result<Option<(f64, f64)>, AppError> {
    match Postcode::parse(d.s("postcode")) {
        Ok(pc) => Ok(state.directory.postcode(&pc.to_string()).await?),
        Err(_) => Ok(None),
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.create",
    )
    .await?;
    let f = auth.form(&body)?;
    let d = draft_from_form(&f);
    let orgs = state.directory.organizations().await?;
    let mut e = Entry::new("");
    let point = postcode_point(&state, &d).await?;
    let errs = apply(&d, &mut e, &orgs, true, point);
    if !errs.is_empty() {
        return render_form(&state, &auth, None, &d, &errs).await;
    }
    let saved = state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{}?done=service-saved",
        saved.service.id
    )))
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.edit")
        .await?;
    render_form(
        &state,
        &auth,
        Some(&e),
        &draft_from_entry(&e),
        &FieldErrors::default(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.edit")
        .await?;
    let f = auth.form(&body)?;
    let version = f.i64("version")?;
    if version != e.version {
        return Err(AppError::Stale);
    }
    let d = draft_from_form(&f);
    let manager = auth.user.role.can_manage_directory();
    let orgs = if manager {
        state.directory.organizations().await?
    } else {
        vec![]
    };
    let before = e.clone();
    let point = postcode_point(&state, &d).await?;
    let errs = apply(&d, &mut e, &orgs, manager, point);
    if !errs.is_empty() {
        return render_form(&state, &auth, Some(&before), &d, &errs).await;
    }
    state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{id}?done=service-saved"
    )))
}

pub async fn retire(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.retire",
    )
    .await?;
    let f = auth.form(&body)?;
    let mut e = load(&state, &id).await?;
    if f.i64("version")? != e.version {
        return Err(AppError::Stale);
    }
    if f.get("undo") == "yes" {
        e.listing.retired_on = None;
    } else {
        e.listing.retired_on = Some(directory::today());
        e.service.status = "inactive".into();
    }
    state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{id}?done=service-saved"
    )))
}

pub async fn set_capacity(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.capacity")
        .await?;
    let f = auth.form(&body)?;
    let c = ServiceCapacity::from_code(f.get("capacity"))
        .ok_or_else(|| AppError::BadRequest("Choose a capacity".into()))?;
    e.listing.capacity = c;
    e.listing.verified_on = Some(directory::today());
    state.directory.save(&e, &auth.actor()).await?;
    let back = if f.get("back") == "partner" {
        "/partner?done=capacity".to_string()
    } else {
        format!("/directory/services/{id}?done=capacity")
    };
    Ok(see_other(&back))
}
