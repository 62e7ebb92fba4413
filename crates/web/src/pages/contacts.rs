//! Recording a contact with the person: one short form, defaults filled in, errors shown
//! against their fields with the input kept.

use super::see_other;
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{self, error_items, ErrorItem, Field, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use domain::{ContactDraft, ContactType, FieldErrors, Present};
use storage::{Episode, StorageError};

#[derive(Template)]
#[template(path = "contact_form.html")]
struct ContactPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    version: i64,
    sections: Vec<Section>,
    errors: Vec<ErrorItem>,
}

pub(crate) fn draft_from_form(f: &FormData) -> ContactDraft {
    ContactDraft {
        contact_type: f.get("contact_type").into(),
        date: f.get("date").into(),
        time: f.get("time").into(),
        duration_minutes: f.get("duration_minutes").into(),
        did_not_attend: f.checked("did_not_attend"),
        present: f.all("present"),
        notes: f.get("notes").into(),
    }
}

fn sections(d: &ContactDraft, e: &FieldErrors) -> Vec<Section> {
    vec![Section {
        folded: false,
        legend: "The contact".into(),
        fields: vec![
            Field::new("radios", "contact_type", "How did it happen?")
                .codes::<ContactType>(std::slice::from_ref(&d.contact_type), None)
                .required()
                .errors(e),
            Field::new("date", "date", "Date")
                .value(&d.date)
                .required()
                .errors(e),
            Field::new("text", "time", "Time")
                .hint("24-hour, like 14:30. Leave blank if not known.")
                .value(&d.time)
                .width("10")
                .errors(e),
            Field::new("text", "duration_minutes", "How long, in minutes")
                .needed_when("not needed if they did not attend")
                .numeric()
                .value(&d.duration_minutes)
                .width("10")
                .errors(e),
            Field::new(
                "checkbox",
                "did_not_attend",
                "Did not attend, or could not be reached",
            )
            .value(if d.did_not_attend { "yes" } else { "" })
            .errors(e),
            Field::new("checkboxes", "present", "Who was there")
                .hint("If they did not attend, untick \u{201c}The person\u{201d}")
                .codes::<Present>(&d.present, None)
                .errors(e),
            Field::new("textarea", "notes", "Notes")
                .hint("What was talked about and agreed")
                .value(&d.notes)
                .errors(e),
        ],
    }]
}

async fn load(state: &AppState, auth: &Auth, id: i64) -> Result<Episode, AppError> {
    auth.require(state, auth.user.role.can_triage(), "contact.create")
        .await?;
    let pcn = auth.pcn()?;
    match state.store.get_episode(pcn, id).await? {
        Some(e) => {
            auth.need_to_know(state, pcn, e.person_id).await?;
            Ok(e)
        }
        None => Err(auth.not_found(state, "episode", id).await),
    }
}

fn page(auth: &Auth, ep: &Episode, version: i64, d: &ContactDraft, e: &FieldErrors) -> ContactPage {
    ContactPage {
        ctx: PageCtx::new(Some(auth), "Record a contact", "/people"),
        heading: "Record a contact".into(),
        action: format!("/episodes/{}/contacts", ep.id),
        cancel: format!("/people/{}", ep.person_id),
        version,
        sections: sections(d, e),
        errors: error_items(e),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let ep = load(&state, &auth, id).await?;
    auth.audit_read(
        &state,
        "record.form",
        Some(ep.person_id),
        format!("contact form, episode {id}"),
    )
    .await?;
    if ep.state.is_closed() {
        return Err(AppError::Conflict(
            "This episode is closed: contacts can no longer be added".into(),
        ));
    }
    let d = ContactDraft {
        contact_type: "telephone".into(),
        date: domain::uk_time::to_uk(Utc::now())
            .format("%Y-%m-%d")
            .to_string(),
        time: domain::uk_time::to_uk(Utc::now())
            .format("%H:%M")
            .to_string(),
        present: vec!["person".into()],
        ..Default::default()
    };
    Ok(views::ok(&page(
        &auth,
        &ep,
        ep.version,
        &d,
        &FieldErrors::default(),
    )))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let ep = load(&state, &auth, id).await?;
    let version = form.i64("version")?;
    let d = draft_from_form(&form);
    let details = match d.validate(Utc::now(), ep.referred_at) {
        Ok(c) => c,
        Err(e) => {
            return Ok(views::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&auth, &ep, version, &d, &e),
            ));
        }
    };
    match state
        .store
        .record_contact(auth.pcn()?, id, version, &details, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{}?done=contact", ep.person_id))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await),
        Err(e) => Err(e.into()),
    }
}
