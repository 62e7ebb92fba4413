//! A second factor for password accounts (issue 24, part 3): an authenticator app set up
//! from Settings (a QR code drawn on the server, the secret to type in, a code to confirm),
//! ten single-use recovery codes, the code asked for at sign-in after the password, and an
//! administrator's reset. Wrong codes count with wrong passwords (the same pauses and
//! account-wide lock); a code is taken once. Every step is audited.

use super::self_referral::{form_token, public_form};
use super::{see_other, show_once, take_once};
use crate::auth::{self, Auth};
use crate::views::{self, PageCtx};
use crate::{totp, AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use storage::{Actor, AuditEntry};

/// How long the code may be typed after the password.
const PENDING_MINUTES: i64 = 5;

/// The cookie carrying a sign-in that waits for its second factor: `{user id}.{token}`.
pub fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_mfa"
    } else {
        "lw_mfa"
    }
}

/// After the right password for an account with a second factor: keeps the sign-in for a
/// few minutes and asks for the code.
pub(crate) async fn ask_for_code(
    state: &AppState,
    user: &storage::User,
    actor: &Actor,
    next: &str,
) -> Result<Response, AppError> {
    state
        .store
        .append_audit(
            &AuditEntry::new(
                actor,
                "signin.second_factor_asked",
                "user",
                Some(user.id),
                user.pcn_id,
            )
            .detail("password right; waiting for the authenticator code"),
        )
        .await?;
    pending(state, user.id, next).await
}

/// A fresh pending sign-in: a redirect to the code page with its cookie.
async fn pending(state: &AppState, user: i64, next: &str) -> Result<Response, AppError> {
    let token = auth::random_token()?;
    state
        .store
        .put_notice(
            user,
            &auth::sha256_hex(&format!("mfa:{token}")),
            &serde_json::json!({ "next": next }).to_string(),
            Utc::now() + chrono::Duration::minutes(PENDING_MINUTES),
        )
        .await?;
    let secure = state.config.https();
    let mut res = see_other("/login/code");
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(
            pending_cookie(secure),
            &format!("{user}.{token}"),
            secure,
            Some(PENDING_MINUTES * 60),
        )?,
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    ctx: PageCtx,
    login_csrf: String,
    error: String,
}

fn code_page(
    state: &AppState,
    parts: &Parts,
    status: StatusCode,
    error: &str,
) -> Result<Response, AppError> {
    let secure = state.config.https();
    let token = form_token(&parts.headers, secure)?;
    let page = CodePage {
        ctx: PageCtx::new(
            None,
            if error.is_empty() {
                "Enter the code from your app"
            } else {
                "Error: Enter the code from your app"
            },
            "/login",
        ),
        login_csrf: token.clone(),
        error: error.into(),
    };
    let mut res = views::render(status, &page);
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(auth::login_csrf_cookie(secure), &token, secure, Some(3600))?,
    );
    Ok(res)
}

/// `GET /login/code`: only after the password (else back to sign-in).
pub async fn code_form(State(state): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    if auth::cookie(&parts.headers, pending_cookie(state.config.https())).is_none() {
        return Ok(see_other("/login"));
    }
    code_page(&state, &parts, StatusCode::OK, "")
}

/// `POST /login/code`: the authenticator's code or a recovery code finishes the sign-in.
pub async fn code_submit(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = public_form(&state, &parts, &body)?;
    let secure = state.config.https();
    let again = || see_other("/login?next=%2F");
    let Some(cookie) = auth::cookie(&parts.headers, pending_cookie(secure)) else {
        return Ok(again());
    };
    let Some((user_id, token)) = cookie
        .split_once('.')
        .and_then(|(u, t)| Some((u.parse::<i64>().ok()?, t.to_string())))
    else {
        return Ok(again());
    };
    // Taken once: a replayed cookie finds nothing.
    let Some(held) = state
        .store
        .take_notice(
            user_id,
            &auth::sha256_hex(&format!("mfa:{token}")),
            Utc::now(),
        )
        .await?
    else {
        return Ok(again());
    };
    let next = serde_json::from_str::<serde_json::Value>(&held)
        .ok()
        .and_then(|v| v["next"].as_str().map(String::from))
        .unwrap_or_else(|| "/".into());
    let Some(user) = state.store.user_by_id(user_id).await? else {
        return Ok(again());
    };
    let ip = auth::client_ip(&parts, &state.config);
    let actor = Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        ip: ip.clone(),
    };
    let address = ip.unwrap_or_else(|| "unknown".into());
    let window = state.config.lockout;
    let pair = crate::throttle::account_key(user.id, &address);
    let locked = user.locked_until.is_some_and(|t| t > Utc::now());
    // A code is counted as wrong before it is checked, and given back if it was right (or
    // nothing was typed): codes sent all at once cannot all get in under the limit.
    let attempt = if locked || user.disabled || !user.has_second_factor() {
        None
    } else {
        state
            .throttle
            .attempt(&pair, state.config.max_failed_logins, window)
            .await?
    };
    let Some(attempt) = attempt else {
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id)
                    .detail("at the second factor: paused, locked, disabled or reset"),
            )
            .await?;
        return Ok(see_other("/login?next=%2F"));
    };
    let typed = form.get("code").trim().to_string();
    // Too many wrong codes in a row: no code is taken until an administrator resets it. A
    // typed code is counted as wrong before it is checked (a right one starts the count
    // again), in the statement that checks the lock: codes sent all at once, from any
    // addresses, get no more than the lock allows.
    let stopped = user.totp_failures >= storage::TOTP_MAX_FAILURES
        || (!typed.is_empty() && !state.store.take_totp_attempt(user.id).await?);
    if stopped {
        state.throttle.release(attempt).await?;
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id)
                    .detail("second factor locked after too many wrong codes"),
            )
            .await?;
        return code_page(
            &state,
            &parts,
            StatusCode::FORBIDDEN,
            "Too many wrong codes have been typed for this account. Ask your Linkwork administrator to reset your second factor",
        );
    }
    if typed.is_empty() {
        // Nothing typed: asked again, not counted (the pending sign-in carries on).
        state.throttle.release(attempt).await?;
        let mut res = code_page(
            &state,
            &parts,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter the 6-digit code from your app, or a recovery code",
        )?;
        let fresh = pending(&state, user.id, &next).await?;
        for v in fresh.headers().get_all(SET_COOKIE) {
            res.headers_mut().append(SET_COOKIE, v.clone());
        }
        return Ok(res);
    }
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = user.totp_secret.clone().unwrap_or_default();
    let right = if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        match totp::matching_step(&secret, &digits, Utc::now().timestamp()) {
            Some(step) => state.store.take_totp_step(user.id, step).await?,
            None => false,
        }
    } else if !typed.is_empty() {
        let used = state
            .store
            .use_recovery_code(user.id, &totp::recovery_hash(&typed))
            .await?;
        if used {
            let left = state.store.recovery_codes_left(user.id).await?;
            state
                .store
                .append_audit(
                    &AuditEntry::new(
                        &actor,
                        "signin.recovery_code",
                        "user",
                        Some(user.id),
                        user.pcn_id,
                    )
                    .detail(format!("a recovery code used; {left} left")),
                )
                .await?;
        }
        used
    } else {
        false
    };
    if right {
        state.throttle.release(attempt).await?;
        let mut res =
            super::login::sign_in(&state, &parts.headers, user, &actor, &next, secure).await?;
        res.headers_mut().append(
            SET_COOKIE,
            auth::set_cookie(pending_cookie(secure), "", secure, Some(0))?,
        );
        return Ok(res);
    }
    // Wrong (or already used): counted like a wrong password (for the account from this
    // address, with the attempt).
    drop(attempt);
    state.throttle.fail(&address, window).await?;
    let lock_until = Utc::now() + chrono::Duration::from_std(window).unwrap_or_default();
    let everywhere = state.config.max_failed_logins.saturating_mul(10);
    state
        .store
        .record_login_failure(user.id, everywhere, lock_until, &actor)
        .await?;
    state
        .store
        .append_audit(
            &AuditEntry::new(
                &actor,
                "signin.second_factor_failed",
                "user",
                Some(user.id),
                user.pcn_id,
            )
            .detail("wrong or used authenticator or recovery code"),
        )
        .await?;
    // Their password was right: the owner hears of a wrong code (it may not be them).
    crate::reminders::notify_wrong_code(&state, &user, &address);
    if state
        .throttle
        .blocked(&pair, state.config.max_failed_logins, window)
        .await?
    {
        return Ok(see_other("/login?next=%2F"));
    }
    // Another try, with a fresh pending sign-in.
    let mut res = code_page(
        &state,
        &parts,
        StatusCode::UNPROCESSABLE_ENTITY,
        "The code is not right, or has been used. Enter the newest code from your app, or a recovery code",
    )?;
    let fresh = pending(&state, user.id, &next).await?;
    for v in fresh.headers().get_all(SET_COOKIE) {
        res.headers_mut().append(SET_COOKIE, v.clone());
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SettingsPage {
    ctx: PageCtx,
    /// set-up, pending or on
    state: &'static str,
    required: bool,
    qr: String,
    secret: String,
    recovery_left: i64,
    /// Shown once, just after they were made.
    recovery_codes: Vec<String>,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn settings_page(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    error: &str,
    codes: Vec<String>,
) -> Result<Response, AppError> {
    // The account as it stands now (the session's copy may predate a change).
    let user = state
        .store
        .user_by_id(auth.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A secret being set up is shown only to the session that started it.
    let mine = user
        .totp_pending
        .as_deref()
        .and_then(|p| p.split_once('|'))
        .filter(|(bound, _)| *bound == session_mark(auth))
        .map(|(_, secret)| secret.to_string());
    let (st, qr, secret) = match (&user.totp_secret, &mine) {
        (Some(_), _) => ("on", String::new(), String::new()),
        (None, Some(p)) => {
            let uri = totp::otpauth_uri("Linkwork", &user.email, p);
            let qr = totp::qr_svg(&uri, "QR code to scan with your authenticator app")
                .map_err(AppError::Internal)?;
            let grouped = p
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).to_string())
                .collect::<Vec<_>>()
                .join(" ");
            ("pending", qr, grouped)
        }
        (None, None) if user.totp_pending.is_some() => ("elsewhere", String::new(), String::new()),
        (None, None) => ("set-up", String::new(), String::new()),
    };
    let page = SettingsPage {
        ctx: PageCtx::new(
            Some(auth),
            if error.is_empty() {
                "Second factor"
            } else {
                "Error: Second factor"
            },
            "/settings",
        ),
        state: st,
        required: state.config.second_factor_roles.contains(&user.role),
        qr,
        secret,
        recovery_left: state.store.recovery_codes_left(user.id).await?,
        recovery_codes: codes,
        error: error.into(),
    };
    Ok(views::render(status, &page))
}

pub async fn settings(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let codes = take_once(&state, &auth, q.notice.as_deref())
        .await?
        .and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok())
        .unwrap_or_default();
    settings_page(&state, &auth, StatusCode::OK, "", codes).await
}

/// Which session a secret being set up belongs to (part of the session's hash).
fn session_mark(auth: &Auth) -> String {
    auth.session_hash
        .as_deref()
        .unwrap_or("no-session")
        .chars()
        .take(16)
        .collect()
}

/// The settings page again, saying the password typed was wrong.
async fn wrong_password(state: &AppState, auth: &Auth) -> Result<Response, AppError> {
    settings_page(
        state,
        auth,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Your password is not right (after several tries, wait 15 minutes)",
        vec![],
    )
    .await
}

/// New recovery codes, shown once on the settings page (post/redirect/get).
async fn show_codes(
    state: &AppState,
    auth: &Auth,
    codes: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
    show_once(
        state,
        auth,
        &serde_json::to_string(&shown).map_err(|e| AppError::Internal(e.to_string()))?,
        "/settings/second-factor",
    )
    .await
}

/// Starts setting up an app: a new secret to scan.
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    if auth.user.has_second_factor() {
        return Ok(see_other("/settings/second-factor"));
    }
    let secret = totp::new_secret().map_err(AppError::Internal)?;
    state
        .store
        .set_totp_pending(
            auth.user.id,
            &format!("{}|{secret}", session_mark(&auth)),
            &auth.actor(),
        )
        .await?;
    Ok(see_other("/settings/second-factor"))
}

/// A code from the app confirms the secret: the second factor is on, and the recovery
/// codes are shown once.
pub async fn confirm(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let user = state
        .store
        .user_by_id(auth.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(pending) = user.totp_pending.clone() else {
        return Ok(see_other("/settings/second-factor"));
    };
    let Some((_, secret)) = pending
        .split_once('|')
        .filter(|(bound, _)| *bound == session_mark(&auth))
    else {
        return Ok(see_other("/settings/second-factor"));
    };
    // The password again: a borrowed screen cannot enrol someone else's phone.
    if !auth.password_again(&state, form.get("password")).await? {
        return wrong_password(&state, &auth).await;
    }
    let Some(step) = totp::matching_step(secret, form.get("code"), Utc::now().timestamp()) else {
        state
            .store
            .append_audit(
                &AuditEntry::new(
                    &auth.actor(),
                    "mfa.confirm_failed",
                    "user",
                    Some(user.id),
                    user.pcn_id,
                )
                .detail("a wrong code while setting up the authenticator app"),
            )
            .await?;
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The code is not right. Enter the 6-digit code your app shows now",
            vec![],
        )
        .await;
    };
    let codes = totp::recovery_codes().map_err(AppError::Internal)?;
    let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
    state
        .store
        .enable_totp(
            user.id,
            (&pending, secret),
            step,
            &hashes,
            auth.session_hash.as_deref(),
            &auth.actor(),
        )
        .await?;
    show_codes(&state, &auth, codes).await
}

/// New recovery codes (the old stop working), with the password typed again.
pub async fn new_recovery_codes(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    if !auth.password_again(&state, form.get("password")).await? {
        return wrong_password(&state, &auth).await;
    }
    let codes = totp::recovery_codes().map_err(AppError::Internal)?;
    let hashes: Vec<String> = codes.iter().map(|(_, h)| h.clone()).collect();
    state
        .store
        .replace_recovery_codes(auth.user.id, &hashes, &auth.actor())
        .await?;
    show_codes(&state, &auth, codes).await
}

/// Turns the second factor off, with the password typed again, where the role does not
/// require one. Signs the account out everywhere.
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    if state.config.second_factor_roles.contains(&auth.user.role) {
        return Err(AppError::Conflict(
            "Your organisation requires a second factor for your role, so it cannot be turned off. An administrator can reset it if you lose your phone".into(),
        ));
    }
    if !auth.password_again(&state, form.get("password")).await? {
        return wrong_password(&state, &auth).await;
    }
    state
        .store
        .remove_second_factor(auth.user.id, "mfa.remove", &auth.actor())
        .await?;
    Ok(see_other("/login?next=%2Fsettings%2Fsecond-factor"))
}

/// An administrator resets someone's second factor (a lost phone): they set it up again at
/// their next sign-in if their role requires it.
pub async fn admin_reset(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, u) =
        super::admin::managed_user_form(&state, &auth, id, &body, "admin.users.mfa_reset").await?;
    state
        .store
        .remove_second_factor(u.id, "mfa.reset", &auth.actor())
        .await?;
    Ok(see_other(&format!("/admin/users/{id}?done=mfa-reset")))
}
