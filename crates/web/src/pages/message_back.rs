//! The message back to the GP and the referrer for an episode (PRSB Social Prescribing
//! Standard): a print-ready page, and "email it to the referrer" which queues it in the
//! outbox. It is also queued by itself at discharge when the referrer gave an email.

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::views::{self, datetime, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::interop::email_in;
use storage::StorageError;

struct SentRow {
    to: String,
    queued: String,
    status: String,
}

#[derive(Template)]
#[template(path = "message_back.html")]
struct MessagePage {
    ctx: PageCtx,
    episode_id: i64,
    person_id: i64,
    title: String,
    name: String,
    dob: String,
    nhs: String,
    practice: String,
    sections: Vec<interop::prsb::Section>,
    generated: String,
    referrer_email: Option<String>,
    sent: Vec<SentRow>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    id: i64,
    status: axum::http::StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let pcn = auth.pcn()?;
    auth.need_to_know_episode(state, pcn, id).await?;
    let m = match crate::message_back::gather(state, pcn, id).await {
        Ok(m) => m,
        Err(AppError::NotFound) => return Err(auth.not_found(state, "episode", id).await),
        Err(e) => return Err(e),
    };
    auth.audit_read(
        state,
        "message_back.view",
        Some(m.person.id),
        format!("episode {id}"),
    )
    .await?;
    let sent = state
        .store
        .messages_for_episode(pcn, id)
        .await?
        .into_iter()
        .map(|s| SentRow {
            status: s.status(),
            to: s.to_address,
            queued: datetime(s.created_at),
        })
        .collect();
    let d = &m.person.details;
    Ok(views::render(
        status,
        &MessagePage {
            ctx: PageCtx::new(Some(auth), "Message back to GP and referrer", "/people")
                .flash(flash(done)),
            episode_id: id,
            person_id: m.person.id,
            title: m.title(),
            name: format!("{} {}", d.given_name, d.family_name),
            dob: views::date(d.date_of_birth),
            nhs: d
                .nhs_number
                .as_ref()
                .map_or("Not known".into(), |n| n.to_string()),
            practice: m.practice_line(),
            sections: m.sections(),
            generated: datetime(m.generated_at),
            referrer_email: email_in(&m.referral.referrer_contact),
            sent,
            error,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_read_people(),
        "message_back.view",
    )
    .await?;
    render(
        &state,
        &auth,
        id,
        axum::http::StatusCode::OK,
        q.done.as_deref(),
        None,
    )
    .await
}

pub async fn send(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_edit_people(),
        "message_back.send",
    )
    .await?;
    let pcn = auth.pcn()?;
    auth.need_to_know_episode(&state, pcn, id).await?;
    match state.store.queue_message_back(pcn, id, &auth.actor()).await {
        Ok(_) => Ok(see_other(&format!(
            "/episodes/{id}/message-back?done=message-queued"
        ))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await),
        Err(StorageError::Rule(m)) => {
            render(
                &state,
                &auth,
                id,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(m),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
