//! A user's own settings: change password, and personal API tokens for `/api/v1`
//! (shown once, stored only as a hash, revocable).

use super::{flash, see_other, DoneQuery};
use crate::auth::{self, Auth};
use crate::views::{self, datetime, error_items, ErrorItem, Field, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::Response;
use domain::FieldErrors;
use storage::Session;

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    /// Revoked or expired; none while it works.
    status: Option<String>,
    expires: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    errors: Vec<ErrorItem>,
    password_fields: Vec<Field>,
    token_fields: Vec<Field>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    errors: &FieldErrors,
    new_token: Option<String>,
    done: Option<String>,
) -> Result<Response, AppError> {
    let lifetime = chrono::Duration::from_std(state.config.api_token_lifetime).unwrap_or_default();
    let now = chrono::Utc::now();
    let tokens = state
        .store
        .list_api_tokens(auth.user.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            status: if t.revoked_at.is_some() {
                Some("Revoked".into())
            } else if now - t.created_at > lifetime {
                Some("Expired".into())
            } else {
                None
            },
            expires: datetime(t.created_at + lifetime),
            id: t.id,
            name: t.name,
            created: datetime(t.created_at),
            last_used: t
                .last_used_at
                .map(datetime)
                .unwrap_or_else(|| "Never".into()),
        })
        .collect();
    let password_fields = vec![
        Field::new("password", "current_password", "Current password")
            .autocomplete("current-password")
            .required()
            .errors(errors),
        Field::new("password", "new_password", "New password")
            .hint("At least 10 characters. A few unrelated words make a strong password.")
            .autocomplete("new-password")
            .required()
            .errors(errors),
        Field::new("password", "confirm_password", "Confirm new password")
            .autocomplete("new-password")
            .required()
            .errors(errors),
    ];
    let days = state.config.api_token_lifetime.as_secs() / 86_400;
    let token_fields = vec![
        Field::new("text", "token_name", "What the token is for")
            .hint("For example: weekly report script")
            .width("20")
            .required()
            .errors(errors),
        Field::new("password", "token_password", "Your password")
            .hint(&format!("A token acts as you for {days} days, so confirm it is you. Revoke it when it is no longer needed; disabling your account revokes it for good."))
            .autocomplete("current-password")
            .width("20")
            .required()
            .errors(errors),
    ];
    let title = if errors.is_empty() {
        "Settings"
    } else {
        "Error: Settings"
    };
    let page = SettingsPage {
        ctx: PageCtx::new(Some(auth), title, "/settings").flash(done),
        errors: error_items(errors),
        password_fields,
        token_fields,
        tokens,
        new_token,
    };
    Ok(views::render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let token = super::take_once(&state, &auth, q.notice.as_deref()).await?;
    render(
        &state,
        &auth,
        StatusCode::OK,
        &FieldErrors::default(),
        token,
        flash(q.done.as_deref()),
    )
    .await
}

pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let mut e = FieldErrors::default();
    if !auth
        .password_again(&state, form.get("current_password"))
        .await?
    {
        e.add(
            "current_password",
            "Your current password is not right (after several tries, wait 15 minutes)",
        );
    }
    let new = form.get("new_password");
    if let Some(p) = auth::password_problem(new, &auth.user.email) {
        e.add("new_password", p);
    } else if new != form.get("confirm_password") {
        e.add("confirm_password", "The new passwords do not match");
    }
    if !e.is_empty() {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            &e,
            None,
            None,
        )
        .await;
    }
    // How this session was signed in carries over (a single sign-on session stays one: it
    // ends with an unlink and signs out of the provider).
    let (via, id_token_hint) = match &auth.session_hash {
        Some(h) => state
            .store
            .session_with_user(h)
            .await?
            .map(|(s, _)| (s.via, s.id_token_hint))
            .unwrap_or_default(),
        None => (None, None),
    };
    state
        .store
        .set_password(auth.user.id, &auth::hash_password(new)?, &auth.actor())
        .await?;
    // Every session ended with the change; this browser gets a fresh one.
    let raw = auth::random_token()?;
    let now = storage::now();
    state
        .store
        .create_session(&Session {
            id_hash: auth::sha256_hex(&raw),
            user_id: auth.user.id,
            csrf_token: auth::random_token()?,
            created_at: now,
            last_seen_at: now,
            via,
            id_token_hint,
        })
        .await?;
    let mut res = see_other("/settings?done=password");
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(
            auth::session_cookie(state.config.https()),
            &raw,
            state.config.https(),
            None,
        )?,
    );
    Ok(res)
}

pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let name = form.get("token_name").trim();
    let mut e = FieldErrors::default();
    if name.is_empty() || name.chars().count() > 100 {
        e.add(
            "token_name",
            "Say what the token is for (100 characters or fewer)",
        );
    }
    // A token acts as the account for months: a session alone (a borrowed screen) may
    // not make one, so the password is asked again.
    if form.get("token_password").is_empty() {
        e.add("token_password", "Enter your password to make a token");
    } else if !auth
        .password_again(&state, form.get("token_password"))
        .await?
    {
        e.add(
            "token_password",
            "The password is not right (after several tries, wait 15 minutes)",
        );
    }
    if !e.is_empty() {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            &e,
            None,
            None,
        )
        .await;
    }
    let token = format!("lw_{}", auth::random_token()?);
    state
        .store
        .create_api_token(auth.user.id, name, &auth::sha256_hex(&token), &auth.actor())
        .await?;
    // Shown once, after a redirect: a refresh makes no second token.
    super::show_once(&state, &auth, &token, "/settings").await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    match state
        .store
        .revoke_api_token(auth.user.id, id, &auth.actor())
        .await
    {
        Ok(()) => Ok(see_other("/settings?done=token-revoked")),
        Err(storage::StorageError::NotFound) => Err(auth.not_found(&state, "api_token", id).await),
        Err(e) => Err(e.into()),
    }
}
