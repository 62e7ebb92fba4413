//! The PCN's texts to people (reminders), with where each stands: sent, delivered, not
//! sent and why. Without GOV.UK Notify set up they wait here, marked.

use crate::auth::Auth;
use crate::views::{self, datetime, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "texts.html")]
struct TextsPage {
    ctx: PageCtx,
    configured: bool,
    /// (person id, to, what it says, status, queued at)
    rows: Vec<(i64, String, String, String, String)>,
}

pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_triage(), "notification.list")
        .await?;
    let pcn = auth.pcn()?;
    let list = state.store.notifications(pcn, 200).await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|n| (pcn, n.person_id)).collect();
    auth.audit_shown(
        &state,
        "notification.list",
        &shown,
        &format!("{} texts", list.len()),
    )
    .await?;
    let page = TextsPage {
        ctx: PageCtx::new(Some(&auth), "Texts to people", "/texts"),
        configured: state.config.notify.is_some(),
        rows: list
            .iter()
            .map(|n| {
                (
                    n.person_id,
                    n.to_address.clone(),
                    n.preview.clone(),
                    n.status_words(),
                    datetime(n.created_at),
                )
            })
            .collect(),
    };
    Ok(views::ok(&page))
}
