//! Sign-in and sign-out. Sign-in is throttled per account (locked after repeated
//! failures) and per network address (refused after many failures, whichever accounts),
//! gives one message for any wrong email or password, always issues a new
//! session id, and is audited.

use crate::auth::{self, Auth, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::form::FormData;
use crate::views::{self, ErrorItem, Field, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use storage::{Actor, AuditEntry, Session};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    errors: Vec<ErrorItem>,
    fields: Vec<Field>,
    login_csrf: String,
    next: String,
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/people/3?done=x"), "/people/3?done=x");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "/ok\r\nSet-Cookie: x",
            "",
            "/login",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths, so sign-in cannot redirect elsewhere.
fn safe_next(next: &str) -> String {
    let plain = next.chars().all(|c| c.is_ascii_graphic()) && !next.contains('\\');
    if plain
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/login")
    {
        next.to_string()
    } else {
        "/".to_string()
    }
}

fn page(
    status: StatusCode,
    email: &str,
    error: Option<(&'static str, String)>,
    next: &str,
    secure: bool,
) -> Result<Response, AppError> {
    let token = auth::random_token()?;
    let mut errors = Vec::new();
    let mut email_field = Field::new("email", "email", "Email address")
        .value(email)
        .autocomplete("username")
        .required();
    let pw = Field::new("password", "password", "Password")
        .autocomplete("current-password")
        .required();
    if let Some((field, message)) = error {
        errors.push(ErrorItem {
            field: field.into(),
            message: message.clone(),
        });
        email_field.error = Some(message);
    }
    let title = if errors.is_empty() {
        "Sign in"
    } else {
        "Error: Sign in"
    };
    let p = LoginPage {
        ctx: PageCtx::new(None, title, "/login"),
        errors,
        fields: vec![email_field, pw],
        login_csrf: token.clone(),
        next: next.to_string(),
    };
    let mut res = views::render(status, &p);
    let c = auth::set_cookie(LOGIN_CSRF_COOKIE, &token, secure, Some(3600))?;
    res.headers_mut().append(SET_COOKIE, c);
    Ok(res)
}

pub async fn form(
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    page(
        StatusCode::OK,
        "",
        None,
        &safe_next(q.next.as_deref().unwrap_or("/")),
        state.config.secure_cookies,
    )
}

pub async fn submit(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = FormData::parse(&body);
    if form.has_nul() {
        return Err(AppError::BadRequest(crate::form::NUL_REFUSED.into()));
    }
    let headers: &HeaderMap = &parts.headers;
    let expected = auth::cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !auth::constant_time_eq(expected.as_bytes(), form.get("_csrf").as_bytes())
    {
        return Err(AppError::Csrf);
    }
    let email = form.get("email").trim().to_lowercase();
    let password = form.get("password");
    let next = safe_next(form.get("next"));
    let secure = state.config.secure_cookies;
    let ip = auth::client_ip(&parts, &state.config);
    let actor = Actor {
        user_id: None,
        label: email.clone(),
        ip: ip.clone(),
    };
    let address = ip.clone().unwrap_or_else(|| "unknown".into());
    let window = state.config.lockout;
    if state
        .throttle
        .blocked(&address, state.config.max_failed_logins_per_address, window)
    {
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.refused", "user", None, None)
                    .detail("too many failed sign-ins from this address"),
            )
            .await?;
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some((
                "email",
                format!(
                    "There have been too many failed sign-in attempts from your network. Wait {} minutes, then try again.",
                    window.as_secs().div_ceil(60)
                ),
            )),
            &next,
            secure,
        );
    }
    if email.is_empty() || password.is_empty() {
        let field = if email.is_empty() {
            "email"
        } else {
            "password"
        };
        let msg = if email.is_empty() {
            "Enter your email address"
        } else {
            "Enter your password"
        };
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some((field, msg.into())),
            &next,
            secure,
        );
    }
    let wrong = || {
        (
            "email",
            "The email address or password is not right. Check them and try again.".to_string(),
        )
    };
    let Some(user) = state.store.user_by_email(&email).await? else {
        auth::verify_password(password, auth::dummy_hash());
        state.throttle.fail(&address, window);
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.failed", "user", None, None)
                    .detail("unknown account"),
            )
            .await?;
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some(wrong()),
            &next,
            secure,
        );
    };
    let actor = Actor {
        user_id: Some(user.id),
        ..actor
    };
    if let Some(until) = user.locked_until.filter(|t| *t > Utc::now()) {
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id)
                    .detail("account locked"),
            )
            .await?;
        let msg = format!(
            "This account is locked after too many failed sign-in attempts. Try again after {} UTC, or ask your administrator to reset your password.",
            until.format("%H:%M")
        );
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            Some(("email", msg)),
            &next,
            secure,
        );
    }
    if !auth::verify_password(password, &user.password_hash) {
        state.throttle.fail(&address, window);
        let lock_until =
            Utc::now() + chrono::Duration::from_std(state.config.lockout).unwrap_or_default();
        state
            .store
            .record_login_failure(user.id, state.config.max_failed_logins, lock_until, &actor)
            .await?;
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some(wrong()),
            &next,
            secure,
        );
    }
    if user.disabled {
        state.throttle.fail(&address, window);
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id)
                    .detail("account disabled"),
            )
            .await?;
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some(wrong()),
            &next,
            secure,
        );
    }
    // A fresh session id at every sign-in (no fixation); any old session is ended.
    if let Some(old) = auth::cookie(headers, SESSION_COOKIE) {
        state.store.delete_session(&auth::sha256_hex(&old)).await?;
    }
    let raw = auth::random_token()?;
    let now = storage::now();
    let session = Session {
        id_hash: auth::sha256_hex(&raw),
        user_id: user.id,
        csrf_token: auth::random_token()?,
        created_at: now,
        last_seen_at: now,
    };
    state.store.create_session(&session).await?;
    state.store.record_login_success(user.id, &actor).await?;
    let mut res = super::see_other(&next);
    let h = res.headers_mut();
    h.append(
        SET_COOKIE,
        auth::set_cookie(SESSION_COOKIE, &raw, secure, None)?,
    );
    h.append(
        SET_COOKIE,
        auth::set_cookie(LOGIN_CSRF_COOKIE, "", secure, Some(0))?,
    );
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    if let Some(raw) = auth::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&auth::sha256_hex(&raw)).await?;
    }
    state
        .store
        .append_audit(&AuditEntry::new(
            &auth.actor(),
            "signout",
            "user",
            Some(auth.user.id),
            auth.user.pcn_id,
        ))
        .await?;
    let mut res = super::see_other("/login");
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0))?,
    );
    Ok(res.into_response())
}
