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
    /// How it has gone out so far, in one sentence.
    how_sent: String,
    error: Option<String>,
    /// Shown to the referrer who made the referral: no sending, back to their referrals.
    for_referrer: bool,
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
    let mut messages = state.store.messages_for_episode(pcn, id).await?;
    messages.retain(|m| m.kind == "message_back");
    let how_sent = match messages.iter().find(|m| m.sent_at.is_some()) {
        Some(m) => format!(
            "Emailed to the referrer ({}) on {}.",
            m.to_address,
            m.sent_at.map(datetime).unwrap_or_default()
        ),
        None => match messages.first() {
            Some(m) => format!(
                "Not emailed yet: {} to {}.",
                m.status().to_lowercase(),
                m.to_address
            ),
            None => "Not sent to the referrer yet.".into(),
        },
    } + " The GP practice's clinical system can read it from Linkwork directly; it can also be printed and posted.";
    let sent = messages
        .into_iter()
        .map(|s| SentRow {
            status: s.status(),
            to: s.to_address,
            queued: datetime(s.created_at),
        })
        .collect();
    let ctx =
        PageCtx::new(Some(auth), "Message back to GP and referrer", "/people").flash(flash(done));
    let mut page = MessagePage::of(ctx, id, &m);
    page.referrer_email = email_in(&m.referral.referrer_contact);
    page.sent = sent;
    page.how_sent = how_sent;
    page.error = error;
    Ok(views::render(status, &page))
}

impl MessagePage {
    /// The message itself; sending is filled in by the staff page.
    fn of(ctx: PageCtx, episode_id: i64, m: &interop::prsb::MessageBack) -> Self {
        let d = &m.person.details;
        Self {
            ctx,
            episode_id,
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
            referrer_email: None,
            sent: vec![],
            how_sent: String::new(),
            error: None,
            for_referrer: false,
        }
    }
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

/// The referrer reads the message back about a referral they made, once one has been sent or
/// the episode has ended (what they are entitled to: the same message the email carries).
/// Staff who may read the record go to the full page.
pub async fn for_referrer(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_refer(), "message_back.view")
        .await?;
    let pcn = auth.pcn()?;
    if auth.user.role.can_read_people() {
        // Another PCN's episode is not found here either.
        if state.store.get_episode(pcn, id).await?.is_none() {
            return Err(auth.not_found(&state, "episode", id).await);
        }
        return Ok(see_other(&format!("/episodes/{id}/message-back")));
    }
    let Some(r) = state.store.referral_made_by(pcn, auth.user.id, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await);
    };
    let mut messages = state.store.messages_for_episode(pcn, id).await?;
    messages.retain(|m| m.kind == "message_back");
    if messages.is_empty() && !r.state.is_closed() {
        return Ok(see_other("/referrals/mine?done=no-message-back"));
    }
    let m = crate::message_back::gather(&state, pcn, id).await?;
    auth.audit_read(
        &state,
        "message_back.view",
        Some(m.person.id),
        format!("episode {id}, by the referrer"),
    )
    .await?;
    let mut page = MessagePage::of(
        PageCtx::new(
            Some(&auth),
            "Message back about your referral",
            "/referrals/mine",
        ),
        id,
        &m,
    );
    page.for_referrer = true;
    // A referral that joined a record someone else made shows the referrer only what they
    // typed to match it, as their list of referrals does: not the record's full name or
    // its practice.
    if !r.made_person {
        page.name = r.person_name.clone();
        page.nhs = "Not shown: your referral joined a record the PCN already held".into();
        page.practice = "Not shown: your referral joined a record the PCN already held".into();
    }
    Ok(views::ok(&page))
}
