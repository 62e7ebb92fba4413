//! Sign-in and sign-out. Sign-in is throttled per account (locked after repeated
//! failures) and per network address (refused after many failures, whichever accounts),
//! gives one message for any wrong email or password, always issues a new
//! session id, and is audited.

use crate::auth::{self, Auth};
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
    /// "Sign in with …" buttons: where each goes and the provider's label.
    providers: Vec<(String, String)>,
    signed_out: bool,
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
        assert_eq!(safe_next(&"/a".repeat(300)), "/", "too long to keep");
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// The longest `next` kept (a page's address with its query): longer goes to the home page.
const MAX_NEXT: usize = 512;

/// Only local paths, so sign-in cannot redirect elsewhere.
pub(crate) fn safe_next(next: &str) -> String {
    let plain = next.chars().all(|c| c.is_ascii_graphic())
        && !next.contains('\\')
        && next.len() <= MAX_NEXT;
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
    state: &AppState,
    signed_out: bool,
    status: StatusCode,
    email: &str,
    error: Option<(&'static str, String)>,
    next: &str,
    (secure, headers): (bool, &HeaderMap),
) -> Result<Response, AppError> {
    // The browser's token if it has one, so a public form open in another tab (a
    // self-referral, the plan's door) keeps working.
    let token = super::self_referral::form_token(headers, secure)?;
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
        providers: state
            .config
            .sso
            .iter()
            .map(|p| {
                let q: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", next)
                    .finish();
                (format!("/login/sso/{}?{q}", p.name), p.label.clone())
            })
            .collect(),
        signed_out,
    };
    let mut res = views::render(status, &p);
    let c = auth::set_cookie(auth::login_csrf_cookie(secure), &token, secure, Some(3600))?;
    res.headers_mut().append(SET_COOKIE, c);
    Ok(res)
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let res = page(
        &state,
        q.signed_out.is_some(),
        StatusCode::OK,
        "",
        None,
        &safe_next(q.next.as_deref().unwrap_or("/")),
        (state.config.https(), &headers),
    )?;
    Ok(res)
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
    let expected =
        auth::cookie(headers, auth::login_csrf_cookie(state.config.https())).unwrap_or_default();
    if expected.is_empty()
        || !auth::constant_time_eq(expected.as_bytes(), form.get("_csrf").as_bytes())
    {
        return Err(AppError::Csrf);
    }
    let email = form.get("email").trim().to_lowercase();
    let password = form.get("password");
    let next = safe_next(form.get("next"));
    let secure = state.config.https();
    let ip = auth::client_ip(&parts, &state.config);
    let actor = Actor {
        user_id: None,
        label: email.clone(),
        ip: ip.clone(),
    };
    let address = ip.clone().unwrap_or_else(|| "unknown".into());
    let window = state.config.lockout;
    // Over the address's limit, attempts from it are slowed and taken one at a time, but
    // still checked: a shared NHS network address is never locked out as a whole, and a
    // person there who knows their password still signs in.
    let _turn = if state
        .throttle
        .blocked(&address, state.config.max_failed_logins_per_address, window)
        .await?
    {
        let turn = state.throttle.turn(&address).lock_owned().await;
        tokio::time::sleep(state.config.address_pause).await;
        Some(turn)
    } else {
        None
    };
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
            &state,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some((field, msg.into())),
            &next,
            (secure, &parts.headers),
        );
    }
    // One answer, after one password check, whether the account is unknown, locked,
    // disabled or the password wrong: nothing tells who has an account here.
    let refuse = || {
        page(
            &state,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some((
                "email",
                "The email address or password is not right. Check them and try again. After several failed attempts, signing in to that account from this network pauses for a while."
                    .to_string(),
            )),
            &next,
            (secure, &parts.headers),
        )
    };
    let user = state.store.user_by_email(&email).await?;
    let right = auth::verify_password(
        password,
        user.as_ref()
            .map_or(auth::dummy_hash(), |u| u.password_hash.as_str()),
    );
    let Some(user) = user else {
        state.throttle.fail(&address, window).await?;
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "signin.failed", "user", None, None)
                    .detail("unknown account"),
            )
            .await?;
        return refuse();
    };
    let actor = Actor {
        user_id: Some(user.id),
        ..actor
    };
    // Failures for this account from this address pause it here only: anyone can type a
    // name, so no one elsewhere can lock its owner out. Many failures from many addresses
    // lock the account everywhere (in the database).
    // Each attempt takes its place in this count before its result is used, and gives it
    // back when it was not a failure: guesses sent all at once, to any nodes, get no more
    // than the limit from one address. (The password was checked above on every path, so
    // that each takes as long; a result without a place is never used.)
    let pair = crate::throttle::account_key(user.id, &address);
    let attempt = state
        .throttle
        .attempt(&pair, state.config.max_failed_logins, window)
        .await?;
    let paused_here = attempt.is_none();
    let locked = user.locked_until.is_some_and(|t| t > Utc::now());
    if right || locked {
        if let Some(a) = attempt {
            state.throttle.release(a).await?;
        }
    }
    let refusal = if paused_here {
        Some("paused for this account from this address")
    } else if locked {
        Some("account locked")
    } else if !right {
        None
    } else if user.disabled {
        Some("account disabled")
    } else if user.has_second_factor() {
        // The password was right; the sign-in waits for the code from their app.
        return super::second_factor::ask_for_code(&state, &user, &actor, &next).await;
    } else {
        return sign_in(&state, headers, user, &actor, &next, secure).await;
    };
    match refusal {
        Some(why) => {
            state
                .store
                .append_audit(
                    &AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id)
                        .detail(why),
                )
                .await?;
        }
        None => {
            // The pair's failure was counted with the attempt.
            state.throttle.fail(&address, window).await?;
            let lock_until = Utc::now() + chrono::Duration::from_std(window).unwrap_or_default();
            let everywhere = state.config.max_failed_logins.saturating_mul(ACCOUNT_WIDE);
            let count = state
                .store
                .record_login_failure(user.id, everywhere, lock_until, &actor)
                .await?;
            let paused_now = state
                .throttle
                .blocked(&pair, state.config.max_failed_logins, window)
                .await?;
            if count >= everywhere || paused_now {
                // The owner hears of it by email (when mail is set up), never the caller.
                crate::reminders::notify_lockout(&state, &user, &address, count >= everywhere);
            }
        }
    }
    refuse()
}

/// Failures from every address together, as a multiple of `max_failed_logins`, that lock an
/// account everywhere.
const ACCOUNT_WIDE: u32 = 10;

/// Starts a session for `user` and answers with its cookie.
pub(crate) async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    user: storage::User,
    actor: &Actor,
    next: &str,
    secure: bool,
) -> Result<Response, AppError> {
    sign_in_via(state, headers, user, actor, next, secure, None).await
}

/// Starts a session, signed in with a password (`via` none) or through a single sign-on
/// provider (its name and the id token to hint it with at sign-out).
pub(crate) async fn sign_in_via(
    state: &AppState,
    headers: &HeaderMap,
    user: storage::User,
    actor: &Actor,
    next: &str,
    secure: bool,
    via: Option<(&str, &str)>,
) -> Result<Response, AppError> {
    // A fresh session id at every sign-in (no fixation); any old session is ended.
    if let Some(old) = auth::cookie(headers, auth::session_cookie(secure)) {
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
        via: via.map(|(p, _)| p.to_string()),
        id_token_hint: via.map(|(_, t)| t.to_string()),
    };
    state.store.create_session(&session).await?;
    state.store.record_login_success(user.id, actor).await?;
    // Sessions past their limits open nothing; clear them (and the provider id tokens they
    // hold) as people sign in.
    let idle = chrono::Duration::from_std(state.config.session_idle).unwrap_or_default();
    let absolute = chrono::Duration::from_std(state.config.session_absolute).unwrap_or_default();
    state
        .store
        .purge_sessions(now - idle, now - absolute)
        .await?;
    let mut res = super::see_other(next);
    let h = res.headers_mut();
    h.append(
        SET_COOKIE,
        auth::set_cookie(auth::session_cookie(secure), &raw, secure, None)?,
    );
    h.append(
        SET_COOKIE,
        auth::set_cookie(auth::login_csrf_cookie(secure), "", secure, Some(0))?,
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
    let secure = state.config.https();
    // A session signed in through a provider: end the provider's session too, after ours.
    let mut via = None;
    if let Some(raw) = auth::cookie(&headers, auth::session_cookie(secure)) {
        let hash = auth::sha256_hex(&raw);
        if let Some((s, _)) = state.store.session_with_user(&hash).await? {
            via = s.via.map(|v| (v, s.id_token_hint));
        }
        state.store.delete_session(&hash).await?;
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
    let provider_page = match &via {
        Some((p, hint)) => super::sso::provider_sign_out(&state, p, hint.as_deref()).await,
        None => None,
    };
    let mut res = provider_page.unwrap_or_else(|| super::see_other("/login"));
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(auth::session_cookie(secure), "", secure, Some(0))?,
    );
    Ok(res.into_response())
}
